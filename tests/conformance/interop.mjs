// Interop between two servers that share one database and one secret (the real better-auth
// reference-server.mjs and our Rust server): users, passwords and session cookies made by one are
// accepted by the other. Plain HTTP (fetch), as a browser app on a trusted origin would send it.
//
// Usage: node interop.mjs --better-auth http://127.0.0.1:P1 --ours http://127.0.0.1:P2 [--outbox FILE]
// With --outbox (the mail file both servers append to), a password-reset token sent by one is
// consumed by the other, and a change-email link sent by one is bound to its user on the other.
// Output: one JSON line per check {"name","ok","detail"}, then a summary line
// {"summary":true,"checks","passed","failed","failures"}; exit code 1 if a check failed, 2 on a
// usage error.
import fs from "node:fs";
import { COOKIE } from "./lib.mjs";
import { arg, check, expect, finish, request } from "./interop-lib.mjs";

const servers = { "better-auth": arg("--better-auth"), ours: arg("--ours") };
const OUTBOX = arg("--outbox");
if (!servers["better-auth"] || !servers.ours) {
  console.error("usage: node interop.mjs --better-auth URL --ours URL");
  process.exit(2);
}
const run = Math.random().toString(36).slice(2, 8);
let n = 0;
const email = (tag) => `interop-${run}-${++n}-${tag}@example.com`;

// `cookie`: the session cookie value to send. `session`: the session cookie value set, if any.
async function call(server, method, path, { body, cookie } = {}) {
  const headers = cookie ? { cookie: `${COOKIE}=${cookie}` } : {};
  const r = await request(`${servers[server]}/api/auth${path}`, method, { body, headers });
  const session = r.setCookies.findLast((c) => c.name === COOKIE)?.value ?? null;
  return { status: r.status, json: r.json, text: r.text, session };
}

const show = (r) => `${r.status} ${r.text.slice(0, 300)}`;

async function signUp(server, address, password) {
  const r = await call(server, "POST", "/sign-up/email", { body: { email: address, password, name: "Interop" } });
  expect(r.status === 200 && r.json?.user?.id, `sign-up on ${server}: ${show(r)}`);
  expect(r.session, `sign-up on ${server} set no ${COOKIE} cookie`);
  return { id: r.json.user.id, session: r.session };
}
async function signIn(server, address, password) {
  const r = await call(server, "POST", "/sign-in/email", { body: { email: address, password } });
  expect(r.status === 200 && r.json?.user?.id, `sign-in on ${server}: ${show(r)}`);
  expect(r.session, `sign-in on ${server} set no ${COOKIE} cookie`);
  return { id: r.json.user.id, session: r.session };
}
async function refused(server, address, password) {
  const r = await call(server, "POST", "/sign-in/email", { body: { email: address, password } });
  expect(r.status === 401 && r.json?.code === "INVALID_EMAIL_OR_PASSWORD", `sign-in on ${server} with a wrong password: ${show(r)}`);
}
async function sessionUser(server, session) {
  const r = await call(server, "GET", "/get-session", { cookie: session });
  expect(r.status === 200 && r.json?.user?.id, `get-session on ${server}: ${show(r)}`);
  return r.json.user.id;
}

async function mailToken(kind, address) {
  for (let i = 0; i < 50; i++) {
    const lines = fs.existsSync(OUTBOX) ? fs.readFileSync(OUTBOX, "utf8").trim().split("\n") : [];
    const mail = lines
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .reverse()
      .find((m) => m.kind === kind && m.to === address);
    if (mail) return mail.token;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${kind} mail to ${address} in ${OUTBOX}`);
}
const resetToken = (address) => mailToken("reset-password", address);

const other = { "better-auth": "ours", ours: "better-auth" };
for (const from of ["better-auth", "ours"]) {
  const to = other[from];
  const address = email(from);
  const password = "interop-password-1";
  let user = null;
  let signedIn = null;
  await check(`${from}.sign-up.then-sign-in-on-${to}`, async () => {
    user = await signUp(from, address, password);
    signedIn = await signIn(to, address, password);
    expect(signedIn.id === user.id, `user id ${user.id} on ${from}, ${signedIn.id} on ${to}`);
    await refused(to, address, "not-the-password");
  });
  await check(`${from}.session-cookie.accepted-by-${to}`, async () => {
    expect(user, "no user (sign-up failed)");
    const id = await sessionUser(to, user.session);
    expect(id === user.id, `get-session on ${to} says ${id}, expected ${user.id}`);
    expect((await sessionUser(from, user.session)) === user.id, `get-session on ${from}`);
  });
  await check(`${to}.session-cookie.accepted-by-${from}`, async () => {
    expect(signedIn, "no session (sign-in failed)");
    const id = await sessionUser(from, signedIn.session);
    expect(id === user.id, `get-session on ${from} says ${id}, expected ${user.id}`);
  });
  await check(`${from}.change-password.then-sign-in-on-${to}`, async () => {
    expect(user, "no user (sign-up failed)");
    const newPassword = "interop-password-2";
    const r = await call(from, "POST", "/change-password", {
      body: { currentPassword: password, newPassword, revokeOtherSessions: false },
      cookie: user.session,
    });
    expect(r.status === 200, `change-password on ${from}: ${show(r)}`);
    const again = await signIn(to, address, newPassword);
    expect(again.id === user.id, `user id ${again.id} after the change`);
    await refused(to, address, password);
    // And back on the server that changed it.
    await signIn(from, address, newPassword);
  });
  await check(`${from}.sign-out.rejected-by-${to}`, async () => {
    const current = await signIn(from, address, "interop-password-2");
    expect((await sessionUser(to, current.session)) === current.id, `get-session on ${to} before sign-out`);
    const out = await call(from, "POST", "/sign-out", { body: {}, cookie: current.session });
    expect(out.status === 200, `sign-out on ${from}: ${show(out)}`);
    for (const server of [to, from]) {
      const r = await call(server, "GET", "/get-session", { cookie: current.session });
      expect(r.status === 200 && r.json === null, `get-session on ${server} after sign-out on ${from}: ${show(r)}`);
    }
  });
  if (OUTBOX) {
    // A change-email link names its user (`userId`, after better-auth 1.7.25's claims in their
    // order): the other server refuses it to another signed-in user and applies it for its own.
    await check(`${from}.change-email-token.bound-on-${to}`, async () => {
      const owner = await signUp(from, email(`${from}-owner`), "interop-password-1");
      const stranger = await signUp(to, email(`${to}-stranger`), "interop-password-1");
      const newAddress = email(`${from}-changed`);
      const r = await call(from, "POST", "/change-email", { body: { newEmail: newAddress }, cookie: owner.session });
      expect(r.status === 200, `change-email on ${from}: ${show(r)}`);
      const token = await mailToken("verify-email", newAddress);
      const claims = Object.keys(JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()));
      const want = ["email", "updateTo", "requestType", "userId", "iat", "exp"];
      expect(claims.join() === want.join(), `claims of ${from}'s token: ${claims}`);
      const path = `/verify-email?token=${token}`;
      const wrong = await call(to, "GET", path, { cookie: stranger.session });
      expect(wrong.status === 401 && wrong.json?.code === "INVALID_USER", `another user on ${to}: ${show(wrong)}`);
      const right = await call(to, "GET", path, { cookie: owner.session });
      expect(right.status === 200 && right.json?.user?.email === newAddress, `its user on ${to}: ${show(right)}`);
      const seen = await call(from, "GET", "/get-session", { cookie: owner.session });
      expect(seen.json?.user?.email === newAddress, `get-session on ${from} after the change: ${show(seen)}`);
    });
    await check(`${from}.reset-token.consumed-by-${to}`, async () => {
      const r = await call(from, "POST", "/request-password-reset", { body: { email: address, redirectTo: "/reset" } });
      expect(r.status === 200, `request-password-reset on ${from}: ${show(r)}`);
      const token = await resetToken(address);
      const reset = await call(to, "POST", "/reset-password", { body: { newPassword: "interop-password-3", token } });
      expect(reset.status === 200, `reset-password on ${to}: ${show(reset)}`);
      const again = await call(from, "POST", "/reset-password", { body: { newPassword: "interop-password-4", token } });
      expect(again.status === 400, `the token is single-use: ${show(again)}`);
      await signIn(from, address, "interop-password-3");
      // Back to the password the next direction's checks do not depend on.
    });
  }
}

finish();
