// Plugin interop between two servers that share one database and one secret (two PLUGINS=1
// reference servers, or the real better-auth and our Rust server): what one server writes for
// two-factor, username, one-time-token, multi-session, anonymous, bearer, magic-link and
// email-otp, the other accepts.
// Plain HTTP (fetch) with a cookie jar per "browser", as an app on a trusted origin sends it; the
// same browser talks to both servers (same secret, so the signed cookies are valid on both).
//
// Usage: node plugins-interop.mjs --a URL --b URL --outbox FILE
// --outbox is the mail file both servers append to (codes and links are read from it).
// Output: one JSON line per check {"name","ok","detail"}, then a summary line
// {"summary":true,"checks","passed","failed","failures"}; exit code 1 if a check failed, 2 on a
// usage error or an unreachable server.
import crypto from "node:crypto";
import { COOKIE, PASSWORD, TRUST_DEVICE, TWO_FACTOR, base32Decode, readOutbox, totp } from "./lib.mjs";
import { arg, check, expect, finish, request } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
const OUTBOX = arg("--outbox");
if (!SERVERS.A || !SERVERS.B || !OUTBOX) {
  console.error("usage: node plugins-interop.mjs --a URL --b URL --outbox FILE");
  process.exit(2);
}
const RUN = crypto.randomBytes(3).toString("hex");
let n = 0;
const newEmail = (tag) => `pinterop-${RUN}-${++n}-${tag}@example.com`.toLowerCase();
const newUsername = (tag) => `Pi${RUN}_${++n}.${tag}`.slice(0, 30);
const other = (s) => (s === "A" ? "B" : "A");

// ---------------------------------------------------------------------------------------------
// A browser: one cookie jar, requests to either server.

class Browser {
  constructor() {
    this.jar = new Map();
  }
  async call(server, method, path, { body, headers = {}, cookies = true } = {}) {
    const h = { ...headers };
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookies && cookie) h.cookie = cookie;
    const r = await request(`${SERVERS[server]}/api/auth${path}`, method, { body, headers: h });
    for (const c of r.setCookies) {
      if (c.value === "" || /;\s*max-age=0\b/i.test(c.raw)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return { server, ...r };
  }
  session() {
    return this.jar.get(COOKIE);
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

const show = (r) => `${r.server}: ${r.status} ${r.text.slice(0, 300)}`;
function expectStatus(r, status, what) {
  expect(r.status === status, `${what}: expected ${status}, got ${show(r)}`);
}
function expectError(r, status, code, what) {
  expectStatus(r, status, what);
  expect(r.json?.code === code, `${what}: expected code ${code}, got ${show(r)}`);
}

// ---------------------------------------------------------------------------------------------
// Code and link lines in the outbox (totp and base32Decode are in lib.mjs)

async function waitForMail(since, kind, to) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mail = readOutbox(OUTBOX).slice(since).find((m) => m.kind === kind && m.to === to);
    if (mail) return mail;
    expect(Date.now() < deadline, `no ${kind} line to ${to} in ${OUTBOX}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const waitForOtp = (since, to) => waitForMail(since, "two-factor-otp", to);
// A GET whose redirect is not followed.
async function location(server, path) {
  const r = await fetch(`${SERVERS[server]}/api/auth${path}`, { redirect: "manual" });
  await r.text();
  return { status: r.status, location: r.headers.get("location") };
}

// ---------------------------------------------------------------------------------------------
// Set-up helpers

async function signUp(server, tag, extra = {}) {
  const browser = new Browser();
  const email = newEmail(tag);
  const r = await browser.call(server, "POST", "/sign-up/email", { body: { name: "Interop", email, password: PASSWORD, ...extra } });
  expect(r.status === 200 && r.json?.user?.id, `sign-up on ${show(r)}`);
  return { browser, email, id: r.json.user.id, token: r.json.token };
}
async function sessionUser(server, browser) {
  const r = await browser.call(server, "GET", "/get-session");
  expectStatus(r, 200, `get-session on ${server}`);
  return r.json?.user?.id ?? null;
}
// Signs up on `server` and turns TOTP on there (enable + verify-totp with the session).
async function twoFactorUser(server, tag) {
  const u = await signUp(server, tag);
  const e = await u.browser.call(server, "POST", "/two-factor/enable", { body: { password: PASSWORD } });
  expectStatus(e, 200, `enable on ${server}`);
  const secret = new URL(e.json.totpURI).searchParams.get("secret");
  const key = base32Decode(secret);
  const v = await u.browser.call(server, "POST", "/two-factor/verify-totp", { body: { code: totp(key) } });
  expectStatus(v, 200, `verify-totp on ${server}`);
  return { ...u, key, backupCodes: e.json.backupCodes };
}
async function challenge(server, email, browser = new Browser()) {
  const r = await browser.call(server, "POST", "/sign-in/email", { body: { email, password: PASSWORD } });
  expectStatus(r, 200, `sign-in on ${server}`);
  expect(r.json?.twoFactorRedirect === true, `sign-in on ${server} was not challenged: ${show(r)}`);
  expect(browser.jar.has(TWO_FACTOR), `sign-in on ${server} set no ${TWO_FACTOR} cookie`);
  return browser;
}
async function signedIn(server, r, userId, what) {
  expectStatus(r, 200, what);
  expect(r.json?.user?.id === userId, `${what}: user ${r.json?.user?.id}, expected ${userId}`);
  expect(r.setCookies.some((c) => c.name === COOKIE && c.value), `${what}: no session cookie`);
}

// ---------------------------------------------------------------------------------------------
// Checks

for (const [name, url] of Object.entries(SERVERS)) {
  try {
    const probe = await fetch(`${url}/api/auth/ok`);
    if (probe.status !== 200) throw new Error(`answered ${probe.status}`);
  } catch (e) {
    console.error(`error: server ${name} not reachable at ${url}/api/auth: ${e.message}`);
    process.exit(2);
  }
}

for (const [from, to] of [["A", "B"], ["B", "A"]]) {
  const dir = `${from}-to-${to}`;
  let u = null;
  await check(`two-factor.${dir}.enabled-challenges`, async () => {
    u = await twoFactorUser(from, `tfa-${dir}`);
    await challenge(to, u.email);
  });
  await check(`two-factor.${dir}.totp-accepted`, async () => {
    const b = await challenge(to, u.email);
    const r = await b.call(to, "POST", "/two-factor/verify-totp", { body: { code: totp(u.key) } });
    await signedIn(to, r, u.id, `verify-totp on ${to}`);
    expect((await sessionUser(from, b)) === u.id, `the session made on ${to} is not accepted on ${from}`);
  });
  await check(`two-factor.${dir}.challenge-cookie-accepted`, async () => {
    const b = await challenge(from, u.email);
    const r = await b.call(to, "POST", "/two-factor/verify-totp", { body: { code: totp(u.key) } });
    await signedIn(to, r, u.id, `verify-totp on ${to} of a challenge made on ${from}`);
  });
  await check(`two-factor.${dir}.backup-code-once`, async () => {
    const code = u.backupCodes[0];
    const b = await challenge(to, u.email);
    const r = await b.call(to, "POST", "/two-factor/verify-backup-code", { body: { code } });
    await signedIn(to, r, u.id, `backup code of ${from} on ${to}`);
    for (const s of [to, from]) {
      const c = await challenge(s, u.email);
      const again = await c.call(s, "POST", "/two-factor/verify-backup-code", { body: { code } });
      expectError(again, 401, "INVALID_BACKUP_CODE", `the used backup code on ${s}`);
      // Finish the challenge so the failure does not count toward the account lock.
      const ok = await c.call(s, "POST", "/two-factor/verify-totp", { body: { code: totp(u.key) } });
      await signedIn(s, ok, u.id, `verify-totp on ${s}`);
    }
  });
  await check(`two-factor.${dir}.otp-sent-by-one-verified-by-other`, async () => {
    const b = await challenge(from, u.email);
    const mark = readOutbox(OUTBOX).length;
    expectStatus(await b.call(from, "POST", "/two-factor/send-otp", { body: {} }), 200, `send-otp on ${from}`);
    const mail = await waitForOtp(mark, u.email);
    const r = await b.call(to, "POST", "/two-factor/verify-otp", { body: { code: mail.otp } });
    await signedIn(to, r, u.id, `verify-otp on ${to}`);
  });
  await check(`two-factor.${dir}.trusted-device`, async () => {
    const b = await challenge(from, u.email);
    const r = await b.call(from, "POST", "/two-factor/verify-totp", { body: { code: totp(u.key), trustDevice: true } });
    await signedIn(from, r, u.id, `verify-totp with trustDevice on ${from}`);
    expect(b.jar.has(TRUST_DEVICE), `no ${TRUST_DEVICE} cookie from ${from}`);
    await b.call(from, "POST", "/sign-out", { body: {} });
    const s = await b.call(to, "POST", "/sign-in/email", { body: { email: u.email, password: PASSWORD } });
    await signedIn(to, s, u.id, `sign-in on ${to} with the trust cookie of ${from}`);
    expect(!s.json.twoFactorRedirect, `sign-in on ${to} was challenged`);
  });
  await check(`two-factor.${dir}.disabled-not-challenged`, async () => {
    const d = await u.browser.call(to, "POST", "/two-factor/disable", { body: { password: PASSWORD } });
    expectStatus(d, 200, `disable on ${to}`);
    const s = await new Browser().call(from, "POST", "/sign-in/email", { body: { email: u.email, password: PASSWORD } });
    await signedIn(from, s, u.id, `sign-in on ${from} after disable on ${to}`);
    expect(s.json.user.twoFactorEnabled === false, `user.twoFactorEnabled on ${from}: ${s.json.user.twoFactorEnabled}`);
  });

  await check(`username.${dir}.sign-in`, async () => {
    const name = newUsername("U");
    const { id } = await signUp(from, `user-${dir}`, { username: name });
    const r = await new Browser().call(to, "POST", "/sign-in/username", { body: { username: name.toUpperCase(), password: PASSWORD } });
    await signedIn(to, r, id, `sign-in/username on ${to}`);
    expect(r.json.user.username === name.toLowerCase(), `user.username on ${to}: ${r.json.user.username}`);
    const avail = await new Browser().call(to, "POST", "/is-username-available", { body: { username: name } });
    expect(avail.status === 200 && avail.json?.available === false, `is-username-available on ${to}: ${show(avail)}`);
    const taken = await new Browser().call(to, "POST", "/sign-up/email", {
      body: { name: "Taken", email: newEmail("taken"), password: PASSWORD, username: name },
    });
    expectError(taken, 400, "USERNAME_IS_ALREADY_TAKEN", `sign-up on ${to} with the name taken on ${from}`);
  });

  await check(`one-time-token.${dir}.verify`, async () => {
    const u2 = await signUp(from, `ott-${dir}`);
    const g = await u2.browser.call(from, "GET", "/one-time-token/generate");
    expectStatus(g, 200, `generate on ${from}`);
    const b = new Browser();
    const v = await b.call(to, "POST", "/one-time-token/verify", { body: { token: g.json.token } });
    await signedIn(to, v, u2.id, `verify on ${to}`);
    expect(v.json.session?.token === u2.token, `verify on ${to}: session.token ${v.json.session?.token}, expected the issuing ${u2.token}`);
    const again = await new Browser().call(from, "POST", "/one-time-token/verify", { body: { token: g.json.token } });
    expectStatus(again, 400, `the used token on ${from}`);
    expect(again.text === '{"message":"Invalid token"}', `the used token on ${from}: ${show(again)}`);
  });

  await check(`multi-session.${dir}.device-sessions`, async () => {
    const one = await signUp(from, `multi1-${dir}`);
    const two = await signUp(to, `multi2-${dir}`);
    const b = one.browser; // holds one's session from `from`; two signs in on `to`
    const s = await b.call(to, "POST", "/sign-in/email", { body: { email: two.email, password: PASSWORD } });
    await signedIn(to, s, two.id, `sign-in on ${to}`);
    const list = await b.call(from, "GET", "/multi-session/list-device-sessions");
    expectStatus(list, 200, `list-device-sessions on ${from}`);
    const ids = (list.json ?? []).map((x) => x.user.id).sort();
    expect(JSON.stringify(ids) === JSON.stringify([one.id, two.id].sort()), `device sessions on ${from}: ${show(list)}`);
    const act = await b.call(from, "POST", "/multi-session/set-active", { body: { sessionToken: one.token } });
    await signedIn(from, act, one.id, `set-active on ${from}`);
    expect((await sessionUser(to, b)) === one.id, `active user on ${to} after set-active on ${from}`);
    const out = await b.call(to, "POST", "/sign-out", { body: {} });
    expectStatus(out, 200, `sign-out on ${to}`);
    const after = await new Browser().call(from, "GET", "/get-session", { headers: { cookie: `${COOKIE}=${s.setCookies.find((c) => c.name === COOKIE).value}` }, cookies: false });
    expect(after.status === 200 && after.text === "null", `two's session on ${from} after sign-out on ${to}: ${show(after)}`);
  });

  await check(`anonymous.${dir}.linked-and-deleted`, async () => {
    const b = new Browser();
    const anon = await b.call(from, "POST", "/sign-in/anonymous", { body: {} });
    expect(anon.status === 200 && anon.json?.user?.isAnonymous === true, `sign-in/anonymous on ${from}: ${show(anon)}`);
    const anonCookie = b.session();
    const up = await b.call(to, "POST", "/sign-up/email", { body: { name: "Linked", email: newEmail("linked"), password: PASSWORD } });
    expectStatus(up, 200, `sign-up on ${to} from the anonymous browser`);
    const old = await new Browser().call(from, "GET", "/get-session", { headers: { cookie: `${COOKIE}=${anonCookie}` }, cookies: false });
    expect(old.status === 200 && old.text === "null", `the anonymous session on ${from}: ${show(old)}`);
  });

  await check(`magic-link.${dir}.link-accepted-once`, async () => {
    const email = newEmail(`magic-${dir}`);
    const mark = readOutbox(OUTBOX).length;
    const b = new Browser();
    const s = await b.call(from, "POST", "/sign-in/magic-link", { body: { email, name: "By link" } });
    expectStatus(s, 200, `sign-in/magic-link on ${from}`);
    const mail = await waitForMail(mark, "magic-link", email);
    const v = await b.call(to, "GET", `/magic-link/verify?token=${mail.token}`);
    expectStatus(v, 200, `magic-link/verify on ${to}`);
    const user = v.json?.user;
    expect(user?.email === email && user?.name === "By link" && user?.emailVerified === true, `the new user on ${to}: ${show(v)}`);
    expect((await sessionUser(from, b)) === user.id, `the session of ${to}'s link on ${from}`);
    const again = await location(from, `/magic-link/verify?token=${mail.token}&callbackURL=%2Fdone`);
    const site = new URL(SERVERS[from]).origin;
    expect(again.status === 302 && again.location === `${site}/done?error=INVALID_TOKEN`, `the used link on ${from}: ${JSON.stringify(again)}`);
  });

  await check(`email-otp.${dir}.code-accepted-once`, async () => {
    const email = newEmail(`otp-${dir}`);
    const mark = readOutbox(OUTBOX).length;
    const s = await new Browser().call(from, "POST", "/email-otp/send-verification-otp", { body: { email, type: "sign-in" } });
    expectStatus(s, 200, `send-verification-otp on ${from}`);
    const { otp } = await waitForMail(mark, "email-otp-sign-in", email);
    const b = new Browser();
    const r = await b.call(to, "POST", "/sign-in/email-otp", { body: { email, otp } });
    expectStatus(r, 200, `sign-in/email-otp on ${to}`);
    expect(r.json?.user?.email === email && r.json?.user?.emailVerified === true, `the new user on ${to}: ${show(r)}`);
    expect((await sessionUser(from, b)) === r.json.user.id, `the session of ${to} on ${from}`);
    expectError(await new Browser().call(from, "POST", "/sign-in/email-otp", { body: { email, otp } }), 400, "INVALID_OTP", `the used code on ${from}`);
  });

  await check(`email-otp.${dir}.attempts-count-on-both`, async () => {
    const email = newEmail(`otp-attempts-${dir}`);
    const mark = readOutbox(OUTBOX).length;
    await new Browser().call(from, "POST", "/email-otp/send-verification-otp", { body: { email, type: "sign-in" } });
    const { otp } = await waitForMail(mark, "email-otp-sign-in", email);
    const wrong = otp === "00000000" ? "00000001" : "00000000";
    for (const server of [from, to, from]) {
      expectError(await new Browser().call(server, "POST", "/sign-in/email-otp", { body: { email, otp: wrong } }), 400, "INVALID_OTP", `a wrong code on ${server}`);
    }
    expectError(await new Browser().call(to, "POST", "/sign-in/email-otp", { body: { email, otp } }), 403, "TOO_MANY_ATTEMPTS", `the right code on ${to} after 3 wrong ones`);
  });

  await check(`bearer.${dir}.set-auth-token`, async () => {
    const u3 = await signUp(from, `bearer-${dir}`);
    const s = await new Browser().call(from, "POST", "/sign-in/email", { body: { email: u3.email, password: PASSWORD } });
    const token = s.headers.get("set-auth-token");
    expect(token, `no set-auth-token from ${from}`);
    for (const value of [token, token.split(".")[0]]) {
      const r = await new Browser().call(to, "GET", "/get-session", { headers: { authorization: `Bearer ${value}` } });
      expect(r.status === 200 && r.json?.user?.id === u3.id, `Bearer ${value} on ${to}: ${show(r)}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Summary

finish();
