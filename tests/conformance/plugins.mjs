// Conformance suite for the better-auth 1.7.25 plugins two-factor, username, anonymous,
// magic-link, email-otp, bearer, multi-session, one-time-token and last-login-method.
//
//   node plugins.mjs --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...] [--secret S]
//
// Same conventions as conformance.mjs: better-auth's official client (`createAuthClient` from
// "better-auth/client" with the client plugins from "better-auth/client/plugins") in a Node
// "browser profile" (cookie jar in fetchOptions onRequest/onResponse, trusted Origin); raw
// `fetch` only where the client has no method (a Bearer header without a jar, tampered cookies,
// exact error bodies). Codes and links are read from the OUTBOX file, where the server appends
// {"kind":"two-factor-otp","to","subject","otp","at"} and
// {"kind":"magic-link","to","subject","url","token","at"} and
// {"kind":"email-otp-<type>","to","subject","otp","at"}.
//
// Output: one JSON line per check `{"name","ok","detail"}`, then a summary line; exit code 1 if
// any check failed, 2 on a usage error or an unreachable server. `--only` takes scenario names
// (see SCENARIOS below) or full check names. `--secret` (optional) also verifies cookie HMACs.
//
// The server must be configured like `PLUGINS=1 node reference-server.mjs`: the core
// configuration of conformance.mjs plus, in this order, twoFactor({otpOptions:{sendOTP}}),
// username(), anonymous(), magicLink({expiresIn:5, storeToken:"hashed"}),
// emailOTP({otpLength:8, expiresIn:8, storeOTP:"encrypted", changeEmail:{enabled:true}}), bearer(),
// multiSession(), oneTimeToken(), lastLoginMethod({storeInDatabase:true}), rate limiting off. Every scenario signs up its own
// users with random addresses and usernames, so the suite can run repeatedly on one database.
import crypto from "node:crypto";
import { createAuthClient } from "better-auth/client";
import {
  anonymousClient,
  emailOTPClient,
  lastLoginMethodClient,
  magicLinkClient,
  multiSessionClient,
  oneTimeTokenClient,
  twoFactorClient,
  usernameClient,
} from "better-auth/client/plugins";
import {
  COOKIE, SESSION_DATA, DONT_REMEMBER, TWO_FACTOR, TRUST_DEVICE, ORIGIN, PASSWORD,
  parseSuiteArgs, runSuite, check,
  fail, assert, show, eq, exactKeys, expectError, expectOk,
  Agent as BaseAgent, findCookie, noCookie, checkSignedValue, checkSessionCookie, checkExpiredCookie,
  USER_KEYS as CORE_USER_KEYS, checkUser as checkCoreUser, checkSession, readOutbox, outboxMark,
  totp, base32Decode,
} from "./lib.mjs";

const { args, BASE, API } = parseSuiteArgs({ script: "plugins.mjs" });
const LAST_LOGIN = "better-auth.last_used_login_method";
const multiCookie = (token) => `${COOKIE}_multi-${token.toLowerCase()}`;
const APP_NAME = "auth-conformance-reference"; // the reference server's appName, the TOTP issuer
const RUN = crypto.randomBytes(4).toString("hex");
let userCounter = 0;
// Always lower case; the few checks about case build their mixed-case variant explicitly.
const newEmail = (label) => `plug-${RUN}-${++userCounter}-${label}@example.com`.toLowerCase();
// 3-30 characters of [a-zA-Z0-9_.]; mixed case on purpose (stored lower-cased).
const newUsername = (label) => `U${RUN}_${++userCounter}.${label}`.slice(0, 30);

// ---------------------------------------------------------------------------------------------
// Agent: the "browser profile" of lib.mjs with this suite's client plugins

class Agent extends BaseAgent {
  constructor(options = {}) {
    const twoFactorRedirects = []; // arguments of every onTwoFactorRedirect call
    super({
      ...options,
      plugins: [
        twoFactorClient({ onTwoFactorRedirect: (ctx) => twoFactorRedirects.push(ctx) }),
        usernameClient(),
        anonymousClient(),
        magicLinkClient(),
        emailOTPClient(),
        multiSessionClient(),
        oneTimeTokenClient(),
        lastLoginMethodClient(),
      ],
    });
    this.twoFactorRedirects = twoFactorRedirects;
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes

// The core user fields plus, with this plugin set, twoFactorEnabled, username, displayUsername,
// isAnonymous and lastLoginMethod. None of the nine plugins adds a session field.
const USER_KEYS = [...CORE_USER_KEYS, "twoFactorEnabled", "username", "displayUsername", "isAnonymous", "lastLoginMethod"];

function checkUser(user, what) {
  checkCoreUser(user, what, USER_KEYS);
  eq(typeof user.twoFactorEnabled, "boolean", `${what}.twoFactorEnabled type`);
  eq(typeof user.isAnonymous, "boolean", `${what}.isAnonymous type`);
}
const multiCookies = (res) => res.setCookies.filter((c) => c.name.startsWith(`${COOKIE}_multi-`));
// Every cookie the server sets for a session has these attributes (7 days).
const SESSION_ATTRS = { "max-age": "604800", path: "/", httponly: true, samesite: "Lax" };

// ---------------------------------------------------------------------------------------------
// TOTP (totp and base32Decode are in lib.mjs)

// A 6-digit code that is none of the previous, current and next step's codes.
function wrongTotp(key) {
  const window = [-30_000, 0, 30_000].map((d) => totp(key, Date.now() + d));
  for (let i = 0; ; i++) {
    const code = String((123456 + i * 7919) % 1_000_000).padStart(6, "0");
    if (!window.includes(code)) return code;
  }
}
function parseTotpUri(uri, email, what) {
  const m = /^otpauth:\/\/totp\/([^?]+)\?secret=([A-Z2-7]+)&issuer=([^&]+)&digits=6&period=30$/.exec(uri ?? "");
  assert(m, `${what}: totpURI ${show(uri)} is not otpauth://totp/<issuer>:<email>?secret=…&issuer=…&digits=6&period=30`);
  eq(m[1], `${APP_NAME}:${encodeURIComponent(email)}`, `${what}: label`);
  eq(m[3], APP_NAME, `${what}: issuer`);
  eq(m[2].length, 52, `${what}: base32 secret length (32 bytes, no padding)`);
  const key = base32Decode(m[2]);
  assert(/^[A-Za-z0-9_-]{32}$/.test(key.toString("latin1")), `${what}: the secret is not 32 characters of [A-Za-z0-9_-]: ${key.toString("latin1")}`);
  return key;
}
const BACKUP_CODE = /^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$/;
function checkBackupCodes(codes, what) {
  assert(Array.isArray(codes), `${what}: not an array: ${show(codes)}`);
  eq(codes.length, 10, `${what}: count`);
  for (const c of codes) assert(BACKUP_CODE.test(c), `${what}: code ${show(c)} is not xxxxx-xxxxx`);
  eq(new Set(codes).size, 10, `${what}: distinct codes`);
}

// ---------------------------------------------------------------------------------------------
// Outbox

// The subject of each kind of line; a code's line is exactly {kind, to, subject, otp, at}, a
// link's {kind, to, subject, url, token, at}.
const MAIL_SUBJECTS = {
  "two-factor-otp": "Your two-factor code",
  "magic-link": "Your sign-in link",
  "email-otp-sign-in": "Your sign-in code",
  "email-otp-email-verification": "Your email verification code",
  "email-otp-forget-password": "Your password reset code",
  "email-otp-change-email": "Your email change code",
};
const CODE_KINDS = ["two-factor-otp", "email-otp-sign-in", "email-otp-email-verification", "email-otp-forget-password", "email-otp-change-email"];
async function waitForMail(since, kind, to, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = readOutbox().slice(since).find((m) => m.kind === kind && m.to === to);
    if (mail) {
      const keys = CODE_KINDS.includes(kind) ? ["otp"] : ["url", "token"];
      exactKeys(mail, ["kind", "to", "subject", ...keys, "at"], `${what}: outbox record`);
      eq(mail.subject, MAIL_SUBJECTS[kind], `${what}: subject`);
      assert(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(mail.at), `${what}: at ${show(mail.at)} is not an ISO date`);
      return mail;
    }
    if (Date.now() > deadline) fail(`${what}: no ${show(kind)} line to ${to} in ${args.outbox} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
// The two-factor OTP line, its code of 6 digits.
async function waitForOtp(since, to, what) {
  const mail = await waitForMail(since, "two-factor-otp", to, what);
  assert(/^[0-9]{6}$/.test(mail.otp), `${what}: otp ${show(mail.otp)} is not 6 digits`);
  return mail;
}

// ---------------------------------------------------------------------------------------------
// Helpers that set up state

async function signUp(label, extra = {}) {
  const agent = new Agent();
  const email = newEmail(label);
  const r = await agent.call((c) => c.signUp.email({ name: `User ${label}`, email, password: PASSWORD, ...extra }));
  const data = expectOk(r, `sign-up ${email}`);
  return { agent, email, user: data.user, token: data.token, res: r.res, cookie: findCookie(r.res, COOKIE, "sign-up").value };
}
async function signIn(email, agent = new Agent()) {
  const r = await agent.call((c) => c.signIn.email({ email, password: PASSWORD }));
  const data = expectOk(r, `sign-in ${email}`);
  assert(!data.twoFactorRedirect, `sign-in ${email}: unexpectedly challenged`);
  return { agent, token: data.token, user: data.user, res: r.res, cookie: findCookie(r.res, COOKIE, "sign-in").value };
}
async function getSession(agent) {
  return expectOk(await agent.call((c) => c.getSession()), "get-session");
}
// get-session with exactly this session cookie value (as set, URL-encoded) and nothing else.
async function sessionOf(cookieValue) {
  const r = await new Agent().raw("GET", "/get-session", { headers: { cookie: `${COOKIE}=${cookieValue}` } });
  eq(r.status, 200, "get-session status");
  return JSON.parse(r.text);
}
// A password sign-in from a fresh browser that must end in the two-factor challenge.
async function challenge(email, methods = ["totp", "otp"], agent = new Agent()) {
  const r = await agent.call((c) => c.signIn.email({ email, password: PASSWORD }));
  eq(expectOk(r, "challenged sign-in"), { twoFactorRedirect: true, twoFactorMethods: methods }, "challenged sign-in body");
  return agent;
}
// Signs up a user and turns TOTP two-factor on (enable + verify-totp with the session).
async function twoFactorUser(label, extra = {}) {
  const u = await signUp(label, extra);
  const enabled = expectOk(await u.agent.call((c) => c.twoFactor.enable({ password: PASSWORD })), "enable");
  const key = parseTotpUri(enabled.totpURI, u.email, "enable");
  expectOk(await u.agent.call((c) => c.twoFactor.verifyTotp({ code: totp(key) })), "verify-totp");
  return { ...u, key, backupCodes: enabled.backupCodes, totpURI: enabled.totpURI };
}
async function verifyTotpOk(agent, key, what) {
  const r = await agent.call((c) => c.twoFactor.verifyTotp({ code: totp(key) }));
  const data = expectOk(r, what);
  checkSessionCookie(r.res, { token: data.token, what: `${what}: session cookie` });
  return data;
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const SCENARIOS = {};

SCENARIOS["two-factor"] = async () => {
  const uname = newUsername("tfa");
  const { agent: a, email, token: firstToken, cookie: firstCookie, user } = await signUp("tfa", { username: uname });
  let enabled = null;
  let key = null;
  await check("enable-unauthenticated-401", async () => {
    const r = await new Agent().call((c) => c.twoFactor.enable({ password: PASSWORD }));
    expectError(r, 401, "UNAUTHORIZED", "enable without a session");
    eq(r.error.message, "Unauthorized", "message");
  });
  await check("enable-without-password-400", async () => {
    const r = await a.call((c) => c.twoFactor.enable({}));
    expectError(r, 400, "VALIDATION_ERROR", "enable without password");
    eq(r.error.message, "[body.password] Invalid input: expected string, received undefined", "message");
  });
  await check("enable-wrong-password-400", async () => {
    const r = await a.call((c) => c.twoFactor.enable({ password: "wrong-password-1" }));
    expectError(r, 400, "INVALID_PASSWORD", "enable with a wrong password");
    eq(r.error.message, "Invalid password", "message");
  });
  await check("enable-ok", async () => {
    const r = await a.call((c) => c.twoFactor.enable({ password: PASSWORD }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "enable");
    exactKeys(data, ["method", "totpURI", "backupCodes"], "body");
    eq(data.method, "totp", "method");
    eq(r.res.setCookies.length, 0, "Set-Cookie count (the session is not rotated before verification)");
    enabled = data;
  });
  await check("totp-uri-format", () => {
    key = parseTotpUri(enabled?.totpURI, email, "enable");
  });
  await check("backup-codes-format", () => checkBackupCodes(enabled?.backupCodes, "backupCodes"));
  await check("not-enabled-before-verify", async () => {
    const s = await getSession(a);
    eq(s.user.twoFactorEnabled, false, "user.twoFactorEnabled");
    await signIn(email); // not challenged
  });
  await check("verify-totp-wrong-code-with-session-401", async () => {
    const r = await a.call((c) => c.twoFactor.verifyTotp({ code: wrongTotp(key) }));
    expectError(r, 401, "INVALID_CODE", "wrong code");
    eq(r.error.message, "Invalid code", "message");
  });
  let rotatedCookie = null;
  await check("verify-totp-enables", async () => {
    const r = await a.call((c) => c.twoFactor.verifyTotp({ code: totp(key) }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "verify-totp");
    exactKeys(data, ["token", "user"], "body");
    checkUser(data.user, "user");
    // better-auth answers with the session it has just deleted and the user as it was.
    eq(data.token, firstToken, "body token (the old, now deleted session's)");
    eq(data.user.twoFactorEnabled, false, "body user.twoFactorEnabled (as before the change)");
    const rotated = checkSessionCookie(r.res, { what: "new session cookie" });
    assert(rotated !== firstToken, "the session cookie must carry a new session");
    rotatedCookie = findCookie(r.res, COOKIE, "new session cookie").value;
    eq(r.res.headers.get("set-auth-token"), decodeURIComponent(rotatedCookie), "set-auth-token");
    eq(findCookie(r.res, multiCookie(rotated), "multi-session cookie").value, rotatedCookie, "multi-session cookie value");
  });
  await check("session-rotated", async () => {
    const s = await getSession(a);
    eq(s.user.twoFactorEnabled, true, "user.twoFactorEnabled");
    eq(decodeURIComponent(rotatedCookie).split(".")[0], s.session.token, "session is the new cookie's");
    eq(await sessionOf(firstCookie), null, "the old session");
  });
  await check("enable-again-400", async () => {
    const r = await a.call((c) => c.twoFactor.enable({ password: PASSWORD }));
    expectError(r, 400, "TOTP_ALREADY_ENABLED", "enable again");
    eq(r.error.message, "TOTP is already enabled", "message");
  });
  await check("get-totp-uri", async () => {
    const r = await a.call((c) => c.twoFactor.getTotpUri({ password: PASSWORD }));
    eq(expectOk(r, "get-totp-uri"), { totpURI: enabled.totpURI }, "body (the URI enable returned)");
    expectError(await a.call((c) => c.twoFactor.getTotpUri({})), 400, "VALIDATION_ERROR", "no password");
    const w = await a.call((c) => c.twoFactor.getTotpUri({ password: "wrong-password-1" }));
    expectError(w, 400, "INVALID_PASSWORD", "wrong password");
  });

  let b = null;
  let challengeCookie = null;
  await check("sign-in-challenge", async () => {
    b = new Agent();
    const r = await b.call((c) => c.signIn.email({ email, password: PASSWORD }));
    eq(r.res.status, 200, "status");
    eq(expectOk(r, "sign-in"), { twoFactorRedirect: true, twoFactorMethods: ["totp", "otp"] }, "body");
    eq(b.twoFactorRedirects, [{ twoFactorMethods: ["totp", "otp"] }], "onTwoFactorRedirect calls");
    checkExpiredCookie(r.res, COOKIE, "session cookie");
    checkExpiredCookie(r.res, SESSION_DATA, "session data cookie");
    const tf = findCookie(r.res, TWO_FACTOR, "two-factor cookie");
    eq(tf.attrs, { "max-age": "600", path: "/", httponly: true, samesite: "Lax" }, `attributes of ${tf.raw}`);
    const id = checkSignedValue(tf.value, "two-factor cookie");
    assert(/^2fa-[A-Za-z0-9_-]{20}$/.test(id), `two-factor cookie value ${id} is not 2fa-<20 chars>`);
    challengeCookie = tf.value;
    eq(multiCookies(r.res).length, 0, "multi-session cookies");
    eq(r.res.headers.get("set-auth-token"), null, "set-auth-token");
    // last-login-method sees the (expired) session cookie and still records the method.
    eq(findCookie(r.res, LAST_LOGIN, "last-login cookie").value, "email", "last-login cookie");
    eq(r.res.setCookies.length, 4, `Set-Cookie count ${show(r.res.setCookies.map((c) => c.raw))}`);
  });
  await check("challenge-no-session", async () => eq(await getSession(b), null, "get-session"));
  await check("challenge-wrong-totp-401", async () => {
    const r = await b.call((c) => c.twoFactor.verifyTotp({ code: wrongTotp(key) }));
    expectError(r, 401, "INVALID_CODE", "wrong code");
    eq(r.error.message, "Invalid code", "message");
    eq(r.res.setCookies.length, 0, "Set-Cookie count");
  });
  await check("challenge-right-totp", async () => {
    const r = await b.call((c) => c.twoFactor.verifyTotp({ code: totp(key) }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "verify-totp");
    exactKeys(data, ["token", "user"], "body");
    checkUser(data.user, "user");
    eq(data.user.id, user.id, "user.id");
    eq(data.user.twoFactorEnabled, true, "user.twoFactorEnabled");
    checkSessionCookie(r.res, { token: data.token });
    checkExpiredCookie(r.res, TWO_FACTOR, "two-factor cookie");
    findCookie(r.res, multiCookie(data.token), "multi-session cookie");
    noCookie(r.res, TRUST_DEVICE, "without trustDevice");
    noCookie(r.res, LAST_LOGIN, "verify-totp is no login method");
    const s = await getSession(b);
    eq(s?.session?.token, data.token, "get-session token");
  });
  await check("challenge-single-use", async () => {
    const c2 = new Agent();
    c2.jar.set(TWO_FACTOR, challengeCookie);
    const r = await c2.call((c) => c.twoFactor.verifyTotp({ code: totp(key) }));
    expectError(r, 401, "INVALID_TWO_FACTOR_COOKIE", "a used challenge");
  });
  await check("no-challenge-401", async () => {
    const n = new Agent();
    for (const [what, fn] of [
      ["verify-totp", (c) => c.twoFactor.verifyTotp({ code: totp(key) })],
      ["verify-otp", (c) => c.twoFactor.verifyOtp({ code: "123456" })],
      ["verify-backup-code", (c) => c.twoFactor.verifyBackupCode({ code: enabled.backupCodes[0] })],
      ["send-otp", (c) => c.twoFactor.sendOtp()],
    ]) {
      const r = await n.call(fn);
      expectError(r, 401, "INVALID_TWO_FACTOR_COOKIE", what);
      eq(r.error.message, "Invalid two factor cookie", `${what}: message`);
    }
  });
  await check("tampered-challenge-cookie-401", async () => {
    const t = await challenge(email);
    const value = t.jar.get(TWO_FACTOR);
    t.jar.set(TWO_FACTOR, value.replace(/^2fa-./, (m) => (m.endsWith("a") ? "2fa-b" : "2fa-a")));
    expectError(await t.call((c) => c.twoFactor.verifyTotp({ code: totp(key) })), 401, "INVALID_TWO_FACTOR_COOKIE", "tampered cookie");
  });
  await check("sign-in-username-challenged", async () => {
    const u = new Agent();
    const r = await u.call((c) => c.signIn.username({ username: uname.toUpperCase(), password: PASSWORD }));
    eq(expectOk(r, "sign-in/username"), { twoFactorRedirect: true, twoFactorMethods: ["totp", "otp"] }, "body");
    findCookie(r.res, TWO_FACTOR, "two-factor cookie");
    noCookie(r.res, LAST_LOGIN, "sign-in/username is no login method");
    await verifyTotpOk(u, key, "verify-totp");
  });
  await check("backup-code-sign-in", async () => {
    const c2 = await challenge(email);
    const r = await c2.call((c) => c.twoFactor.verifyBackupCode({ code: enabled.backupCodes[0] }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "verify-backup-code");
    exactKeys(data, ["token", "user"], "body");
    eq(data.user.id, user.id, "user.id");
    checkSessionCookie(r.res, { token: data.token });
    checkExpiredCookie(r.res, TWO_FACTOR, "two-factor cookie");
    eq((await getSession(c2))?.session?.token, data.token, "get-session token");
  });
  await check("backup-code-single-use-401", async () => {
    const c2 = await challenge(email);
    const r = await c2.call((c) => c.twoFactor.verifyBackupCode({ code: enabled.backupCodes[0] }));
    expectError(r, 401, "INVALID_BACKUP_CODE", "a used backup code");
    eq(r.error.message, "Invalid backup code", "message");
    // The next code still works on the same challenge.
    expectOk(await c2.call((c) => c.twoFactor.verifyBackupCode({ code: enabled.backupCodes[1] })), "next backup code");
  });
  await check("otp-send-and-verify", async () => {
    const c2 = await challenge(email);
    const mark = outboxMark();
    const s = await c2.call((c) => c.twoFactor.sendOtp());
    eq(expectOk(s, "send-otp"), { status: true }, "send-otp body");
    eq(s.res.setCookies.length, 0, "send-otp Set-Cookie count");
    const mail = await waitForOtp(mark, email, "send-otp");
    const w = await c2.call((c) => c.twoFactor.verifyOtp({ code: mail.otp === "000000" ? "000001" : "000000" }));
    expectError(w, 401, "INVALID_CODE", "wrong OTP");
    const r = await c2.call((c) => c.twoFactor.verifyOtp({ code: mail.otp }));
    const data = expectOk(r, "verify-otp");
    exactKeys(data, ["token", "user"], "body");
    eq(data.user.id, user.id, "user.id");
    checkSessionCookie(r.res, { token: data.token });
    checkExpiredCookie(r.res, TWO_FACTOR, "two-factor cookie");
  });
  await check("otp-none-pending-400", async () => {
    const c2 = await challenge(email);
    const r = await c2.call((c) => c.twoFactor.verifyOtp({ code: "123456" }));
    expectError(r, 400, "OTP_HAS_EXPIRED", "no OTP sent");
    eq(r.error.message, "OTP has expired", "message");
    await verifyTotpOk(c2, key, "TOTP on the same challenge");
  });
  await check("otp-too-many-attempts", async () => {
    const c2 = await challenge(email);
    const mark = outboxMark();
    expectOk(await c2.call((c) => c.twoFactor.sendOtp()), "send-otp");
    const mail = await waitForOtp(mark, email, "send-otp");
    const wrong = mail.otp === "000000" ? "000001" : "000000";
    for (let i = 1; i <= 5; i++) expectError(await c2.call((c) => c.twoFactor.verifyOtp({ code: wrong })), 401, "INVALID_CODE", `wrong OTP #${i}`);
    const r = await c2.call((c) => c.twoFactor.verifyOtp({ code: mail.otp }));
    expectError(r, 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE", "right OTP after 5 wrong ones");
    eq(r.error.message, "Too many attempts. Please request a new code.", "message");
    eq(r.res.setCookies.length, 0, "Set-Cookie count (the challenge survives)");
    expectError(await c2.call((c) => c.twoFactor.verifyOtp({ code: mail.otp })), 400, "OTP_HAS_EXPIRED", "the OTP is gone");
    // The challenge itself is still alive: TOTP finishes it (and resets the failure count).
    await verifyTotpOk(c2, key, "TOTP on the same challenge");
  });
  await check("totp-too-many-attempts", async () => {
    const c2 = await challenge(email);
    const cookie = c2.jar.get(TWO_FACTOR);
    for (let i = 1; i <= 5; i++) expectError(await c2.call((c) => c.twoFactor.verifyTotp({ code: wrongTotp(key) })), 401, "INVALID_CODE", `wrong code #${i}`);
    const r = await c2.call((c) => c.twoFactor.verifyTotp({ code: totp(key) }));
    expectError(r, 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE", "right code after 5 wrong ones");
    checkExpiredCookie(r.res, TWO_FACTOR, "two-factor cookie");
    noCookie(r.res, COOKIE, "no session");
    c2.jar.set(TWO_FACTOR, cookie);
    const again = await c2.call((c) => c.twoFactor.verifyTotp({ code: totp(key) }));
    expectError(again, 401, "INVALID_TWO_FACTOR_COOKIE", "right code on the dead challenge");
    const backup = await c2.call((c) => c.twoFactor.verifyBackupCode({ code: enabled.backupCodes[2] }));
    expectError(backup, 401, "INVALID_TWO_FACTOR_COOKIE", "backup code on the dead challenge");
    // A new challenge works (and resets the account's failure count).
    await verifyTotpOk(await challenge(email), key, "a new challenge");
  });
  let trusted = null;
  let trustCookie = null;
  await check("trust-device", async () => {
    trusted = await challenge(email);
    const r = await trusted.call((c) => c.twoFactor.verifyTotp({ code: totp(key), trustDevice: true }));
    const data = expectOk(r, "verify-totp with trustDevice");
    checkSessionCookie(r.res, { token: data.token });
    const tc = findCookie(r.res, TRUST_DEVICE, "trust-device cookie");
    eq(tc.attrs, { "max-age": "2592000", path: "/", httponly: true, samesite: "Lax" }, `attributes of ${tc.raw}`);
    const value = checkSignedValue(tc.value, "trust-device cookie");
    const m = /^([A-Za-z0-9_-]{43})!(trust-device-[A-Za-z0-9_-]{32})$/.exec(value);
    assert(m, `trust-device value ${value} is not <HMAC base64url>!trust-device-<32 chars>`);
    if (args.secret) {
      const mac = crypto.createHmac("sha256", args.secret).update(`${user.id}!${m[2]}`).digest("base64url");
      eq(m[1], mac, "trust-device HMAC-SHA256(secret, userId!identifier), base64url");
    }
    checkExpiredCookie(r.res, DONT_REMEMBER, "dont-remember cookie");
    trustCookie = tc.value;
  });
  await check("trusted-sign-in-not-challenged", async () => {
    const redirects = trusted.twoFactorRedirects.length;
    const out = await trusted.call((c) => c.signOut());
    expectOk(out, "sign-out");
    noCookie(out.res, TRUST_DEVICE, "sign-out keeps the trust-device cookie");
    const r = await trusted.call((c) => c.signIn.email({ email, password: PASSWORD }));
    const data = expectOk(r, "sign-in");
    exactKeys(data, ["redirect", "token", "user"], "body");
    eq(data.redirect, false, "redirect");
    checkSessionCookie(r.res, { token: data.token });
    noCookie(r.res, TWO_FACTOR, "trusted sign-in");
    const tc = findCookie(r.res, TRUST_DEVICE, "rotated trust-device cookie");
    eq(tc.attrs, { "max-age": "2592000", path: "/", httponly: true, samesite: "Lax" }, `attributes of ${tc.raw}`);
    assert(tc.value !== trustCookie, "the trust-device cookie must be rotated");
    eq(trusted.twoFactorRedirects.length, redirects, "onTwoFactorRedirect calls");
    // The old trust value is spent.
    const stale = new Agent();
    stale.jar.set(TRUST_DEVICE, trustCookie);
    await challenge(email, ["totp", "otp"], stale);
  });
  let newCodes = null;
  await check("generate-backup-codes", async () => {
    const r = await a.call((c) => c.twoFactor.generateBackupCodes({ password: PASSWORD }));
    const data = expectOk(r, "generate-backup-codes");
    exactKeys(data, ["status", "backupCodes"], "body");
    eq(data.status, true, "status");
    checkBackupCodes(data.backupCodes, "backupCodes");
    newCodes = data.backupCodes;
    expectError(await a.call((c) => c.twoFactor.generateBackupCodes({})), 400, "VALIDATION_ERROR", "no password");
    expectError(await a.call((c) => c.twoFactor.generateBackupCodes({ password: "wrong-password-1" })), 400, "INVALID_PASSWORD", "wrong password");
  });
  await check("old-backup-codes-revoked", async () => {
    const c2 = await challenge(email);
    expectError(await c2.call((c) => c.twoFactor.verifyBackupCode({ code: enabled.backupCodes[3] })), 401, "INVALID_BACKUP_CODE", "an old, unused code");
    expectOk(await c2.call((c) => c.twoFactor.verifyBackupCode({ code: newCodes[0] })), "a new code");
  });
  await check("session-endpoints-401", async () => {
    const n = new Agent();
    for (const [what, fn] of [
      ["enable", (c) => c.twoFactor.enable({ password: PASSWORD })],
      ["disable", (c) => c.twoFactor.disable({ password: PASSWORD })],
      ["get-totp-uri", (c) => c.twoFactor.getTotpUri({ password: PASSWORD })],
      ["generate-backup-codes", (c) => c.twoFactor.generateBackupCodes({ password: PASSWORD })],
    ]) {
      const r = await n.call(fn);
      expectError(r, 401, "UNAUTHORIZED", what);
      eq(r.error.message, "Unauthorized", `${what}: message`);
    }
  });
  await check("disable-wrong-password-400", async () => {
    const r = await trusted.call((c) => c.twoFactor.disable({ password: "wrong-password-1" }));
    expectError(r, 400, "INVALID_PASSWORD", "disable with a wrong password");
    expectError(await trusted.call((c) => c.twoFactor.disable({})), 400, "VALIDATION_ERROR", "disable without password");
  });
  await check("disable", async () => {
    const before = (await getSession(trusted)).session.token;
    const r = await trusted.call((c) => c.twoFactor.disable({ password: PASSWORD }));
    eq(expectOk(r, "disable"), { status: true }, "body");
    const rotated = checkSessionCookie(r.res, { what: "new session cookie" });
    assert(rotated !== before, "disable must rotate the session");
    checkExpiredCookie(r.res, TRUST_DEVICE, "trust-device cookie");
    const s = await getSession(trusted);
    eq(s.user.twoFactorEnabled, false, "user.twoFactorEnabled");
    eq(s.session.token, rotated, "session token");
  });
  await check("not-challenged-after-disable", async () => {
    const s = await signIn(email);
    eq(s.user.twoFactorEnabled, false, "user.twoFactorEnabled");
    noCookie(s.res, TWO_FACTOR, "sign-in");
  });
  await check("not-enabled-400", async () => {
    const g = await a.call((c) => c.twoFactor.generateBackupCodes({ password: PASSWORD }));
    expectError(g, 400, "TWO_FACTOR_NOT_ENABLED", "generate-backup-codes");
    eq(g.error.message, "Two factor isn't enabled", "message");
    const u = await a.call((c) => c.twoFactor.getTotpUri({ password: PASSWORD }));
    expectError(u, 400, "TOTP_NOT_ENABLED", "get-totp-uri (the row is deleted)");
    eq(u.error.message, "TOTP not enabled", "message");
  });

  // method "otp": on at once, and the challenge offers only "otp".
  const o = await signUp("tfa-otp");
  await check("enable-otp-method", async () => {
    const r = await o.agent.call((c) => c.twoFactor.enable({ password: PASSWORD, method: "otp" }));
    eq(expectOk(r, "enable otp"), { method: "otp" }, "body");
    const rotated = checkSessionCookie(r.res, { what: "new session cookie" });
    assert(rotated !== o.token, "enable otp must rotate the session");
    eq(await sessionOf(o.cookie), null, "the old session");
    eq((await getSession(o.agent)).user.twoFactorEnabled, true, "user.twoFactorEnabled");
  });
  await check("otp-only-challenge", async () => {
    const c2 = await challenge(o.email, ["otp"]);
    const t = await c2.call((c) => c.twoFactor.verifyTotp({ code: "123456" }));
    expectError(t, 400, "TOTP_NOT_ENABLED", "verify-totp without a TOTP secret");
    const mark = outboxMark();
    expectOk(await c2.call((c) => c.twoFactor.sendOtp()), "send-otp");
    const mail = await waitForOtp(mark, o.email, "send-otp");
    const r = await c2.call((c) => c.twoFactor.verifyOtp({ code: mail.otp }));
    checkSessionCookie(r.res, { token: expectOk(r, "verify-otp").token });
  });

  // Ten failed verifications in a row lock the account for 15 minutes (a user of its own).
  await check("account-lockout-429", async () => {
    const l = await twoFactorUser("tfa-lock");
    for (let round = 1; round <= 2; round++) {
      const c2 = await challenge(l.email);
      for (let i = 1; i <= 5; i++)
        expectError(await c2.call((c) => c.twoFactor.verifyTotp({ code: wrongTotp(l.key) })), 401, "INVALID_CODE", `round ${round}, wrong code #${i}`);
    }
    const c3 = await challenge(l.email);
    const r = await c3.call((c) => c.twoFactor.verifyTotp({ code: totp(l.key) }));
    expectError(r, 429, "ACCOUNT_TEMPORARILY_LOCKED", "right code on a locked account");
    eq(r.error.message, "Too many failed verification attempts. Your account is temporarily locked. Please try again later.", "message");
    const b2 = await c3.call((c) => c.twoFactor.verifyBackupCode({ code: l.backupCodes[0] }));
    expectError(b2, 429, "ACCOUNT_TEMPORARILY_LOCKED", "backup code on a locked account");
  });
};

SCENARIOS["username"] = async () => {
  const uname = newUsername("Name"); // mixed case
  const display = `Disp.${uname}`.slice(0, 30);
  const email = newEmail("username");
  const a = new Agent();
  let user = null;
  await check("sign-up-ok", async () => {
    const r = await a.call((c) => c.signUp.email({ name: "Named", email, password: PASSWORD, username: uname, displayUsername: display }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "sign-up");
    exactKeys(data, ["token", "user"], "body");
    checkUser(data.user, "user");
    eq(data.user.username, uname.toLowerCase(), "user.username (lower-cased)");
    eq(data.user.displayUsername, display, "user.displayUsername (as given)");
    checkSessionCookie(r.res, { token: data.token });
    const s = await getSession(a);
    eq(s.user.username, uname.toLowerCase(), "stored username");
    eq(s.user.displayUsername, display, "stored displayUsername");
    user = data.user;
  });
  await check("sign-up-display-defaults-to-username", async () => {
    const n = newUsername("Dflt");
    const r = await new Agent().call((c) => c.signUp.email({ name: "D", email: newEmail("dflt"), password: PASSWORD, username: n }));
    const data = expectOk(r, "sign-up");
    eq(data.user.username, n.toLowerCase(), "user.username");
    eq(data.user.displayUsername, n, "user.displayUsername (the username as given)");
  });
  await check("sign-up-display-only", async () => {
    const n = newUsername("Only");
    const r = await new Agent().call((c) => c.signUp.email({ name: "D", email: newEmail("only"), password: PASSWORD, displayUsername: n }));
    const data = expectOk(r, "sign-up");
    eq(data.user.username, n.toLowerCase(), "user.username (copied from displayUsername)");
    eq(data.user.displayUsername, n, "user.displayUsername");
  });
  await check("sign-up-without-username", async () => {
    const r = await new Agent().call((c) => c.signUp.email({ name: "N", email: newEmail("nouser"), password: PASSWORD }));
    const data = expectOk(r, "sign-up");
    eq(data.user.username, null, "user.username");
    eq(data.user.displayUsername, null, "user.displayUsername");
  });
  await check("sign-in-ok", async () => {
    const b = new Agent();
    const r = await b.call((c) => c.signIn.username({ username: uname.toUpperCase(), password: PASSWORD }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "sign-in/username");
    exactKeys(data, ["redirect", "token", "user"], "body");
    eq(data.redirect, false, "redirect");
    checkUser(data.user, "user");
    eq(data.user.id, user?.id, "user.id");
    checkSessionCookie(r.res, { token: data.token });
    findCookie(r.res, multiCookie(data.token), "multi-session cookie");
    eq((await getSession(b))?.session?.token, data.token, "get-session token");
  });
  await check("sign-in-callback-url", async () => {
    const r = await new Agent().call((c) => c.signIn.username({ username: uname, password: PASSWORD, callbackURL: "/dashboard" }));
    const data = expectOk(r, "sign-in/username with callbackURL");
    exactKeys(data, ["redirect", "token", "url", "user"], "body");
    eq(data.redirect, true, "redirect");
    eq(data.url, "/dashboard", "url");
    eq(r.res.headers.get("location"), "/dashboard", "Location");
  });
  await check("sign-in-remember-me-false", async () => {
    const r = await new Agent().call((c) => c.signIn.username({ username: uname, password: PASSWORD, rememberMe: false }));
    const data = expectOk(r, "sign-in/username rememberMe:false");
    checkSessionCookie(r.res, { token: data.token, persistent: false });
    findCookie(r.res, DONT_REMEMBER, "dont-remember cookie");
  });
  const refused = async (body, status, code, message, what) => {
    const r = await new Agent().call((c) => c.signIn.username(body));
    expectError(r, status, code, what);
    if (message) eq(r.error.message, message, `${what}: message`);
    noCookie(r.res, COOKIE, what);
  };
  await check("sign-in-wrong-password-401", () =>
    refused({ username: uname, password: "wrong-password-1" }, 401, "INVALID_USERNAME_OR_PASSWORD", "Invalid username or password", "wrong password"));
  await check("sign-in-unknown-401", () =>
    refused({ username: newUsername("nobody"), password: PASSWORD }, 401, "INVALID_USERNAME_OR_PASSWORD", "Invalid username or password", "unknown username"));
  await check("sign-in-too-short-422", () => refused({ username: "ab", password: PASSWORD }, 422, "USERNAME_TOO_SHORT", "Username is too short", "2 characters"));
  await check("sign-in-too-long-422", () => refused({ username: "a".repeat(31), password: PASSWORD }, 422, "USERNAME_TOO_LONG", "Username is too long", "31 characters"));
  await check("sign-in-invalid-422", () => refused({ username: "bad name!", password: PASSWORD }, 422, "INVALID_USERNAME", "Username is invalid", "invalid characters"));
  await check("sign-in-missing-password-400", () => refused({ username: uname }, 400, "VALIDATION_ERROR", undefined, "no password"));
  const signUpRefused = async (extra, code, message, what) => {
    const e = newEmail("refused");
    const r = await new Agent().call((c) => c.signUp.email({ name: "R", email: e, password: PASSWORD, ...extra }));
    expectError(r, 400, code, what);
    eq(r.error.message, message, `${what}: message`);
    noCookie(r.res, COOKIE, what);
    // No user was created with that email.
    const again = await new Agent().call((c) => c.signIn.email({ email: e, password: PASSWORD }));
    expectError(again, 401, "INVALID_EMAIL_OR_PASSWORD", `${what}: the email must not exist`);
  };
  await check("sign-up-taken-400", () =>
    signUpRefused({ username: uname.toUpperCase() }, "USERNAME_IS_ALREADY_TAKEN", "Username is already taken. Please try another.", "taken username (other case)"));
  await check("sign-up-too-short-400", () => signUpRefused({ username: "ab" }, "USERNAME_TOO_SHORT", "Username is too short", "2 characters"));
  await check("sign-up-too-long-400", () => signUpRefused({ username: "a".repeat(31) }, "USERNAME_TOO_LONG", "Username is too long", "31 characters"));
  await check("sign-up-invalid-400", () => signUpRefused({ username: "bad-name" }, "INVALID_USERNAME", "Username is invalid", "a dash"));
  await check("is-username-available", async () => {
    const n = new Agent();
    eq(expectOk(await n.call((c) => c.isUsernameAvailable({ username: uname.toUpperCase() })), "taken"), { available: false }, "taken (other case)");
    eq(expectOk(await n.call((c) => c.isUsernameAvailable({ username: newUsername("free") })), "free"), { available: true }, "free");
  });
  await check("is-username-available-invalid-422", async () => {
    const n = new Agent();
    for (const [username, code] of [["ab", "USERNAME_TOO_SHORT"], ["a".repeat(31), "USERNAME_TOO_LONG"], ["bad name", "INVALID_USERNAME"]])
      expectError(await n.call((c) => c.isUsernameAvailable({ username })), 422, code, `is-username-available ${show(username)}`);
    expectError(await n.call((c) => c.isUsernameAvailable({ username: "" })), 422, "INVALID_USERNAME", "empty username");
  });
  await check("update-user-taken-400", async () => {
    const other = await signUp("username-other", { username: newUsername("other") });
    const r = await other.agent.call((c) => c.updateUser({ username: uname.toUpperCase() }));
    expectError(r, 400, "USERNAME_IS_ALREADY_TAKEN", "update-user to a taken username");
    eq((await getSession(other.agent)).user.username, other.user.username, "username unchanged");
    expectError(await other.agent.call((c) => c.updateUser({ username: "no way" })), 400, "INVALID_USERNAME", "invalid username");
  });
  await check("update-user-own-and-new", async () => {
    expectOk(await a.call((c) => c.updateUser({ username: uname.toUpperCase() })), "update-user to the own username");
    const fresh = newUsername("Renamed");
    eq(expectOk(await a.call((c) => c.updateUser({ username: fresh })), "update-user"), { status: true }, "body");
    const s = await getSession(a);
    eq(s.user.username, fresh.toLowerCase(), "stored username (lower-cased)");
    eq(s.user.displayUsername, display, "displayUsername unchanged");
    const r = await new Agent().call((c) => c.signIn.username({ username: fresh, password: PASSWORD }));
    eq(expectOk(r, "sign-in with the new name").user.id, user?.id, "user.id");
    expectError(await new Agent().call((c) => c.signIn.username({ username: uname, password: PASSWORD })), 401, "INVALID_USERNAME_OR_PASSWORD", "the old name");
  });
};

SCENARIOS["anonymous"] = async () => {
  const a = new Agent();
  let anon = null;
  let anonCookie = null;
  await check("sign-in-ok", async () => {
    const r = await a.call((c) => c.signIn.anonymous());
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "sign-in/anonymous");
    exactKeys(data, ["token", "user"], "body");
    checkUser(data.user, "user");
    eq(data.user.name, "Anonymous", "user.name");
    assert(/^[a-z0-9]{32}@anonymous\.placeholder\.invalid$/.test(data.user.email), `user.email ${data.user.email} is not <32 chars>@anonymous.placeholder.invalid`);
    eq(data.user.isAnonymous, true, "user.isAnonymous");
    eq(data.user.emailVerified, false, "user.emailVerified");
    eq(data.user.lastLoginMethod, null, "user.lastLoginMethod");
    eq(data.user.username, null, "user.username");
    checkSessionCookie(r.res, { token: data.token });
    findCookie(r.res, multiCookie(data.token), "multi-session cookie");
    noCookie(r.res, LAST_LOGIN, "anonymous is no login method");
    anonCookie = findCookie(r.res, COOKIE, "session cookie").value;
    const s = await getSession(a);
    eq(s.user.id, data.user.id, "get-session user.id");
    eq(s.user.isAnonymous, true, "get-session user.isAnonymous");
    anon = data;
  });
  await check("sign-in-again-400", async () => {
    const r = await a.call((c) => c.signIn.anonymous());
    expectError(r, 400, "ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY", "second anonymous sign-in");
    eq(r.error.message, "Anonymous users cannot sign in again anonymously", "message");
    eq(r.res.setCookies.length, 0, "Set-Cookie count");
    eq((await getSession(a)).user.id, anon.user.id, "still the same anonymous user");
  });
  await check("link-by-sign-up", async () => {
    const email = newEmail("anon-link");
    const r = await a.call((c) => c.signUp.email({ name: "Linked", email, password: PASSWORD }));
    const data = expectOk(r, "sign-up from the anonymous browser");
    eq(data.user.isAnonymous, false, "user.isAnonymous");
    assert(data.user.id !== anon.user.id, "a new user");
    checkSessionCookie(r.res, { token: data.token });
    eq((await getSession(a)).user.id, data.user.id, "get-session user");
    eq(await sessionOf(anonCookie), null, "the anonymous session");
    // The anonymous user is gone: its session with it, and list-device-sessions (which reads
    // the multi cookie still in the jar) finds only the new user.
    const list = expectOk(await a.call((c) => c.multiSession.listDeviceSessions()), "list-device-sessions");
    eq(list.map((x) => x.user.id), [data.user.id], "device sessions' users");
  });
  await check("link-by-sign-in", async () => {
    const { email, user } = await signUp("anon-target");
    const b = new Agent();
    const first = expectOk(await b.call((c) => c.signIn.anonymous()), "sign-in/anonymous");
    const cookie = b.jar.get(COOKIE);
    const r = await b.call((c) => c.signIn.email({ email, password: PASSWORD }));
    eq(expectOk(r, "sign-in").user.id, user.id, "user.id");
    eq(await sessionOf(cookie), null, `the anonymous session of ${first.user.id}`);
  });
  await check("delete-anonymous-user", async () => {
    const b = new Agent();
    expectOk(await b.call((c) => c.signIn.anonymous()), "sign-in/anonymous");
    const cookie = b.jar.get(COOKIE);
    const r = await b.call((c) => c.deleteAnonymousUser());
    eq(r.res.status, 200, "status");
    eq(expectOk(r, "delete-anonymous-user"), { success: true }, "body");
    checkExpiredCookie(r.res, COOKIE, "session cookie");
    eq(await getSession(b), null, "get-session");
    eq(await sessionOf(cookie), null, "the deleted user's session");
  });
  await check("delete-not-anonymous-403", async () => {
    const { agent } = await signUp("anon-real");
    const r = await agent.call((c) => c.deleteAnonymousUser());
    expectError(r, 403, "USER_IS_NOT_ANONYMOUS", "a real user");
    eq(r.error.message, "User is not anonymous", "message");
    assert((await getSession(agent))?.user, "still signed in");
  });
  await check("delete-unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.deleteAnonymousUser()), 401, "UNAUTHORIZED", "no session");
  });
  await check("signed-in-user-may-sign-in-anonymously", async () => {
    const { agent, user } = await signUp("anon-from-real");
    const r = await agent.call((c) => c.signIn.anonymous());
    const data = expectOk(r, "sign-in/anonymous while signed in");
    eq(data.user.isAnonymous, true, "user.isAnonymous");
    assert(data.user.id !== user.id, "a new anonymous user");
    eq((await getSession(agent)).user.id, data.user.id, "get-session user");
  });
};

SCENARIOS["bearer"] = async () => {
  const { email, user } = await signUp("bearer");
  let signed = null; // the set-auth-token value: token.signature, not URL-encoded
  let cookie = null;
  await check("set-auth-token-on-sign-in", async () => {
    const s = await signIn(email);
    cookie = s.cookie;
    signed = s.res.headers.get("set-auth-token");
    eq(signed, decodeURIComponent(cookie), "set-auth-token (the session cookie's value, decoded)");
    assert(signed.startsWith(`${s.token}.`), "set-auth-token starts with the session token");
    eq(s.res.headers.get("access-control-expose-headers"), "set-auth-token", "Access-Control-Expose-Headers");
  });
  await check("no-set-auth-token-without-session-cookie", async () => {
    const b = new Agent();
    b.jar.set(COOKIE, cookie);
    const r = await b.raw("GET", "/get-session");
    eq(r.status, 200, "status");
    eq(r.headers.get("set-auth-token"), null, "set-auth-token on get-session");
    const w = await new Agent().raw("POST", "/sign-in/email", { body: { email, password: "wrong-password-1" } });
    eq(w.headers.get("set-auth-token"), null, "set-auth-token on a failed sign-in");
  });
  const bearerClient = (token) =>
    createAuthClient({ baseURL: BASE, fetchOptions: { auth: { type: "Bearer", token }, headers: { origin: ORIGIN } } });
  await check("get-session-with-bearer", async () => {
    const r = await bearerClient(signed).getSession();
    eq(r.error, null, "error");
    eq(r.data?.user?.id, user.id, "user.id");
    eq(`${r.data?.session?.token}.`, signed.slice(0, signed.indexOf(".") + 1), "session.token");
  });
  const rawSession = async (authorization) => {
    const r = await new Agent().raw("GET", "/get-session", { headers: { authorization } });
    eq(r.status, 200, `${authorization}: status`);
    return JSON.parse(r.text);
  };
  await check("bearer-url-encoded", async () => eq((await rawSession(`Bearer ${cookie}`))?.user?.id, user.id, "user.id"));
  await check("bearer-bare-token", async () => eq((await rawSession(`Bearer ${signed.split(".")[0]}`))?.user?.id, user.id, "user.id"));
  await check("bearer-scheme-case-insensitive", async () => eq((await rawSession(`bearer ${signed}`))?.user?.id, user.id, "user.id"));
  await check("bearer-tampered-signature-null", async () => {
    const [token, sig] = signed.split(".");
    const bad = `${token}.${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    const r = await new Agent().raw("GET", "/get-session", { headers: { authorization: `Bearer ${bad}` } });
    eq(r.status, 200, "status");
    eq(r.text, "null", "body");
    eq(r.setCookies.length, 0, "Set-Cookie count");
  });
  await check("bearer-unknown-token-null", async () => eq(await rawSession(`Bearer ${crypto.randomBytes(16).toString("hex")}`), null, "body"));
  await check("bearer-on-post", async () => {
    const c = bearerClient(signed);
    const r = await c.updateUser({ name: "Bearer Renamed" });
    eq(r.error, null, "error");
    eq(r.data, { status: true }, "body");
    eq((await c.getSession()).data?.user?.name, "Bearer Renamed", "stored name");
  });
  await check("bearer-sign-out", async () => {
    const s = await signIn(email);
    const token = s.res.headers.get("set-auth-token");
    const c = bearerClient(token);
    eq((await c.signOut()).data, { success: true }, "sign-out body");
    eq((await c.getSession()).data, null, "get-session after sign-out");
  });
};

SCENARIOS["multi-session"] = async () => {
  const A = await signUp("multi-a");
  const B = await signUp("multi-b");
  const a = A.agent; // holds A's session; B signs in in the same browser
  let bIn = null;
  await check("multi-cookie-on-sign-up", () => {
    const c = findCookie(A.res, multiCookie(A.token), "multi-session cookie");
    eq(c.value, A.cookie, "value (the session cookie's)");
    eq(c.attrs, SESSION_ATTRS, `attributes of ${c.raw}`);
    eq(c.name, `${COOKIE}_multi-${A.token.toLowerCase()}`, "name");
  });
  await check("second-user-same-browser", async () => {
    bIn = await signIn(B.email, a);
    const c = findCookie(bIn.res, multiCookie(bIn.token), "multi-session cookie");
    eq(c.value, bIn.cookie, "value");
    eq(c.attrs, SESSION_ATTRS, `attributes of ${c.raw}`);
    eq(multiCookies(bIn.res).length, 1, "only the new session's multi cookie is set");
    eq((await getSession(a)).user.id, B.user.id, "active user");
  });
  await check("list-device-sessions", async () => {
    const r = await a.call((c) => c.multiSession.listDeviceSessions());
    eq(r.res.status, 200, "status");
    const list = expectOk(r, "list-device-sessions");
    assert(Array.isArray(list), `not an array: ${show(list)}`);
    eq(list.length, 2, "entries");
    for (const [i, item] of list.entries()) {
      exactKeys(item, ["session", "user"], `[${i}]`);
      checkSession(item.session, `[${i}].session`);
      checkUser(item.user, `[${i}].user`);
    }
    eq(list.map((x) => x.user.id).sort(), [A.user.id, B.user.id].sort(), "users");
    eq(list.map((x) => x.session.token).sort(), [A.token, bIn.token].sort(), "session tokens");
  });
  await check("list-device-sessions-empty", async () => {
    eq(expectOk(await new Agent().call((c) => c.multiSession.listDeviceSessions()), "no cookies"), [], "without cookies");
    const { agent } = await signUp("multi-alone");
    agent.jar.forEach((_, k) => k.startsWith(`${COOKIE}_multi-`) && agent.jar.delete(k));
    eq(expectOk(await agent.call((c) => c.multiSession.listDeviceSessions()), "no multi cookies"), [], "with only a session cookie");
  });
  await check("set-active", async () => {
    const r = await a.call((c) => c.multiSession.setActive({ sessionToken: A.token }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "set-active");
    exactKeys(data, ["session", "user"], "body");
    checkSession(data.session, "session");
    eq(data.user.id, A.user.id, "user.id");
    eq(data.session.token, A.token, "session.token");
    checkSessionCookie(r.res, { token: A.token });
    eq(r.res.headers.get("set-auth-token"), decodeURIComponent(A.cookie), "set-auth-token");
    noCookie(r.res, LAST_LOGIN, "set-active is no login method");
    eq((await getSession(a)).user.id, A.user.id, "active user");
  });
  await check("set-active-invalid-401", async () => {
    const r = await a.call((c) => c.multiSession.setActive({ sessionToken: "not-a-session-token" }));
    expectError(r, 401, "INVALID_SESSION_TOKEN", "unknown token");
    eq(r.error.message, "Invalid session token", "message");
    // A real token whose multi cookie this browser does not hold.
    const other = await signUp("multi-other");
    expectError(await a.call((c) => c.multiSession.setActive({ sessionToken: other.token })), 401, "INVALID_SESSION_TOKEN", "another browser's token");
  });
  await check("same-user-again-replaces", async () => {
    const again = await signIn(A.email, a);
    checkExpiredCookie(again.res, multiCookie(A.token), "the older multi cookie of A");
    findCookie(again.res, multiCookie(again.token), "the new multi cookie of A");
    eq(await sessionOf(A.cookie), null, "A's older session is deleted");
    const list = expectOk(await a.call((c) => c.multiSession.listDeviceSessions()), "list");
    eq(list.map((x) => x.session.token).sort(), [again.token, bIn.token].sort(), "session tokens");
    A.token = again.token;
    A.cookie = again.cookie;
  });
  await check("revoke-unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.multiSession.revoke({ sessionToken: A.token })), 401, "UNAUTHORIZED", "no session");
  });
  await check("revoke-invalid-401", async () => {
    const r = await a.call((c) => c.multiSession.revoke({ sessionToken: "not-a-session-token" }));
    expectError(r, 401, "INVALID_SESSION_TOKEN", "unknown token");
  });
  const C = await signUp("multi-c");
  const cIn = await signIn(C.email, a); // active: C; the browser holds A, B, C
  await check("revoke-other", async () => {
    const r = await a.call((c) => c.multiSession.revoke({ sessionToken: bIn.token }));
    eq(expectOk(r, "revoke"), { status: true }, "body");
    checkExpiredCookie(r.res, multiCookie(bIn.token), "B's multi cookie");
    noCookie(r.res, COOKIE, "the active session is untouched");
    eq(await sessionOf(bIn.cookie), null, "B's session");
    eq((await getSession(a)).user.id, C.user.id, "active user");
  });
  await check("revoke-active-switches", async () => {
    const r = await a.call((c) => c.multiSession.revoke({ sessionToken: cIn.token }));
    eq(expectOk(r, "revoke"), { status: true }, "body");
    checkExpiredCookie(r.res, multiCookie(cIn.token), "C's multi cookie");
    checkSessionCookie(r.res, { token: A.token, what: "session cookie switched to A" });
    eq(await sessionOf(cIn.cookie), null, "C's session");
    eq((await getSession(a)).user.id, A.user.id, "active user");
  });
  await check("sign-out-clears-all", async () => {
    const D = await signUp("multi-d");
    const dIn = await signIn(D.email, a); // the browser holds A and D
    const r = await a.call((c) => c.signOut());
    eq(expectOk(r, "sign-out"), { success: true }, "body");
    checkExpiredCookie(r.res, COOKIE, "session cookie");
    checkExpiredCookie(r.res, multiCookie(A.token), "A's multi cookie");
    checkExpiredCookie(r.res, multiCookie(dIn.token), "D's multi cookie");
    eq(await sessionOf(A.cookie), null, "A's session");
    eq(await sessionOf(dIn.cookie), null, "D's session");
    eq(await getSession(a), null, "get-session");
    eq(expectOk(await a.call((c) => c.multiSession.listDeviceSessions()), "list"), [], "device sessions");
  });
};

SCENARIOS["one-time-token"] = async () => {
  const { agent: a, token, user, email } = await signUp("ott");
  let ott = null;
  await check("generate-ok", async () => {
    const r = await a.call((c) => c.oneTimeToken.generate());
    eq(r.res.status, 200, "status");
    eq(r.res.method, "GET", "method");
    const data = expectOk(r, "generate");
    exactKeys(data, ["token"], "body");
    assert(/^[A-Za-z0-9_-]{32}$/.test(data.token), `token ${data.token} is not 32 characters of [A-Za-z0-9_-]`);
    eq(r.res.setCookies.length, 0, "Set-Cookie count");
    ott = data.token;
  });
  await check("generate-unauthenticated-401", async () => {
    const r = await new Agent().call((c) => c.oneTimeToken.generate());
    expectError(r, 401, "UNAUTHORIZED", "no session");
    eq(r.error.message, "Unauthorized", "message");
  });
  await check("verify-ok", async () => {
    const b = new Agent();
    const r = await b.call((c) => c.oneTimeToken.verify({ token: ott }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "verify");
    exactKeys(data, ["session", "user"], "body");
    checkSession(data.session, "session");
    checkUser(data.user, "user");
    eq(data.session.token, token, "session.token (the issuing session's)");
    eq(data.user.id, user.id, "user.id");
    eq(data.user.email, email, "user.email");
    checkSessionCookie(r.res, { token });
    findCookie(r.res, multiCookie(token), "multi-session cookie");
    noCookie(r.res, LAST_LOGIN, "verify is no login method");
    eq((await getSession(b))?.session?.token, token, "the new browser shares the session");
  });
  await check("verify-again-400", async () => {
    const b = new Agent();
    const r = await b.call((c) => c.oneTimeToken.verify({ token: ott }));
    expectError(r, 400, undefined, "a used token");
    eq(r.error.code, undefined, "error.code (better-auth sends none)");
    eq(r.error.message, "Invalid token", "message");
    noCookie(r.res, COOKIE, "a used token");
    const raw = await b.raw("POST", "/one-time-token/verify", { body: { token: ott } });
    eq(raw.status, 400, "status");
    eq(raw.text, '{"message":"Invalid token"}', "exact body");
  });
  await check("verify-unknown-400", async () => {
    const r = await new Agent().call((c) => c.oneTimeToken.verify({ token: "x".repeat(32) }));
    expectError(r, 400, undefined, "unknown token");
    eq(r.error.message, "Invalid token", "message");
  });
  await check("verify-missing-token-400", async () => {
    const r = await new Agent().raw("POST", "/one-time-token/verify", { body: {} });
    eq(r.status, 400, "status");
    eq(JSON.parse(r.text).code, "VALIDATION_ERROR", "code");
  });
  await check("revoked-session-400", async () => {
    const s = await signIn(email);
    const t = expectOk(await s.agent.call((c) => c.oneTimeToken.generate()), "generate").token;
    expectOk(await s.agent.call((c) => c.signOut()), "sign-out");
    const r = await new Agent().call((c) => c.oneTimeToken.verify({ token: t }));
    expectError(r, 400, undefined, "token of a signed-out session");
    eq(r.error.message, "Session not found", "message");
  });
};

SCENARIOS["last-login-method"] = async () => {
  const checkLastLogin = (res, what) => {
    const c = findCookie(res, LAST_LOGIN, what);
    eq(c.value, "email", `${what}: value`);
    eq(c.attrs, { "max-age": "2592000", path: "/", samesite: "Lax" }, `${what}: attributes of ${c.raw} (not HttpOnly)`);
  };
  const up = await signUp("last-login");
  await check("sign-up-cookie", () => {
    checkLastLogin(up.res, "sign-up");
    eq(up.user.lastLoginMethod, "email", "user.lastLoginMethod in the sign-up answer");
  });
  await check("sign-in-cookie", async () => {
    const s = await signIn(up.email);
    checkLastLogin(s.res, "sign-in");
    eq(s.user.lastLoginMethod, "email", "user.lastLoginMethod in the sign-in answer");
    eq((await getSession(s.agent)).user.lastLoginMethod, "email", "stored user.lastLoginMethod");
  });
  await check("client-reads-cookie", async () => {
    const s = await signIn(up.email);
    // The client plugin reads document.cookie, which Node does not have: it answers null
    // there. With a document over this jar it sees the cookie, as a browser would.
    eq(s.agent.client.getLastUsedLoginMethod(), null, "getLastUsedLoginMethod() without a document");
    globalThis.document = { cookie: s.agent.cookieHeader() };
    try {
      eq(s.agent.client.getLastUsedLoginMethod(), "email", "getLastUsedLoginMethod()");
      eq(s.agent.client.isLastUsedLoginMethod("email"), true, "isLastUsedLoginMethod('email')");
    } finally {
      delete globalThis.document;
    }
  });
  await check("failed-sign-in-no-cookie", async () => {
    const r = await new Agent().call((c) => c.signIn.email({ email: up.email, password: "wrong-password-1" }));
    expectError(r, 401, "INVALID_EMAIL_OR_PASSWORD", "wrong password");
    noCookie(r.res, LAST_LOGIN, "failed sign-in");
  });
  await check("get-session-and-sign-out-no-cookie", async () => {
    const s = await signIn(up.email);
    const g = await s.agent.raw("GET", "/get-session");
    noCookie(g, LAST_LOGIN, "get-session");
    const o = await s.agent.call((c) => c.signOut());
    noCookie(o.res, LAST_LOGIN, "sign-out");
  });
  await check("sign-in-username-no-cookie", async () => {
    const uname = newUsername("ll");
    await signUp("last-login-username", { username: uname });
    const b = new Agent();
    const r = await b.call((c) => c.signIn.username({ username: uname, password: PASSWORD }));
    const data = expectOk(r, "sign-in/username");
    checkSessionCookie(r.res, { token: data.token });
    noCookie(r.res, LAST_LOGIN, "sign-in/username");
    eq((await getSession(b)).user.lastLoginMethod, "email", "stored user.lastLoginMethod (from the sign-up)");
  });
  await check("sign-in-anonymous-no-cookie", async () => {
    const b = new Agent();
    const r = await b.call((c) => c.signIn.anonymous());
    expectOk(r, "sign-in/anonymous");
    noCookie(r.res, LAST_LOGIN, "sign-in/anonymous");
    eq((await getSession(b)).user.lastLoginMethod, null, "stored user.lastLoginMethod");
  });
};

// The magic links of both servers live 5 seconds (plugins.toml, reference-server.mjs).
const MAGIC_LINK_SECONDS = 5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SITE = new URL(BASE).origin; // where relative callback URLs resolve

// Asks for a magic link for `email` and returns its outbox line, checked.
async function magicLink(agent, email, body, what) {
  const mark = outboxMark();
  const r = await agent.call((c) => c.signIn.magicLink({ email, ...body }));
  eq(expectOk(r, what), { status: true }, `${what}: body`);
  eq(r.res.setCookies.length, 0, `${what}: Set-Cookie count`);
  const mail = await waitForMail(mark, "magic-link", email, what);
  assert(/^[A-Za-z]{32}$/.test(mail.token), `${what}: token ${show(mail.token)} is not 32 letters`);
  return mail;
}
// Follows a link as a browser does (no redirect followed); returns the recorded response.
const follow = (agent, url) => agent.raw("GET", url);

SCENARIOS["magic-link"] = async () => {
  const email = newEmail("magic");
  const a = new Agent();
  let mail = null;
  await check("sign-in-mails-link", async () => {
    mail = await magicLink(a, email, { name: "Magic", callbackURL: "/dashboard", newUserCallbackURL: "/welcome", errorCallbackURL: "/oops" }, "sign-in/magic-link");
    eq(mail.url, `${API}/magic-link/verify?token=${mail.token}&callbackURL=%2Fdashboard&newUserCallbackURL=%2Fwelcome&errorCallbackURL=%2Foops`, "url");
  });
  let firstCookie = null;
  await check("new-user-redirects-to-new-user-callback", async () => {
    const r = await follow(a, mail.url);
    eq(r.status, 302, "status");
    eq(r.headers.get("location"), `${SITE}/welcome`, "Location");
    const token = checkSessionCookie(r, { what: "session cookie" });
    firstCookie = findCookie(r, COOKIE, "session cookie").value;
    findCookie(r, multiCookie(token), "multi-session cookie");
    eq(findCookie(r, LAST_LOGIN, "last-login cookie").value, "magic-link", "last-login cookie");
    const s = await getSession(a);
    checkUser(s.user, "user");
    eq(s.user.email, email, "user.email");
    eq(s.user.name, "Magic", "user.name (from the sign-in request)");
    eq(s.user.emailVerified, true, "user.emailVerified");
    eq(s.user.lastLoginMethod, "magic-link", "user.lastLoginMethod");
    eq(s.session.token, token, "session token");
  });
  await check("reused-link-redirects-with-error", async () => {
    const r = await follow(new Agent(), mail.url);
    eq(r.status, 302, "status");
    eq(r.headers.get("location"), `${SITE}/oops?error=INVALID_TOKEN`, "Location");
    eq(r.setCookies.length, 0, "Set-Cookie count");
  });
  await check("existing-user-redirects-to-callback", async () => {
    const b = new Agent();
    const m = await magicLink(b, email.toUpperCase(), { callbackURL: "/dashboard", newUserCallbackURL: "/welcome" }, "sign-in/magic-link");
    const r = await follow(b, m.url);
    eq(r.status, 302, "status");
    eq(r.headers.get("location"), `${SITE}/dashboard`, "Location (not the new-user one)");
    eq((await getSession(b)).user.email, email, "the same user");
    // A verified user keeps its other sessions.
    assert((await sessionOf(firstCookie)) !== null, "the first session is still alive");
  });
  await check("verify-without-callback-answers-json", async () => {
    const m = await magicLink(new Agent(), email, {}, "sign-in/magic-link");
    eq(m.url, `${API}/magic-link/verify?token=${m.token}&callbackURL=%2F`, "url (callbackURL defaults to /)");
    const b = new Agent();
    const r = await b.call((c) => c.magicLink.verify({ query: { token: m.token } }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "magic-link/verify");
    exactKeys(data, ["token", "user", "session"], "body");
    checkUser(data.user, "user");
    checkSession(data.session, "session");
    eq(data.session.token, data.token, "session.token");
    eq(data.user.email, email, "user.email");
    checkSessionCookie(r.res, { token: data.token });
    eq(r.res.headers.get("set-auth-token"), decodeURIComponent(findCookie(r.res, COOKIE, "session cookie").value), "set-auth-token");
  });
  await check("unverified-user-loses-password-and-sessions", async () => {
    const u = await signUp("magic-unverified");
    eq(u.user.emailVerified, false, "emailVerified after sign-up");
    const m = await magicLink(new Agent(), u.email, {}, "sign-in/magic-link");
    const b = new Agent();
    const data = expectOk(await b.call((c) => c.magicLink.verify({ query: { token: m.token } })), "magic-link/verify");
    eq(data.user.id, u.user.id, "user.id");
    eq(data.user.emailVerified, true, "user.emailVerified");
    eq(data.user.name, `User magic-unverified`, "user.name (unchanged)");
    eq(await sessionOf(u.cookie), null, "the sign-up session");
    const w = await new Agent().call((c) => c.signIn.email({ email: u.email, password: PASSWORD }));
    expectError(w, 401, "INVALID_EMAIL_OR_PASSWORD", "password sign-in after the link");
    eq((await getSession(b)).user.id, u.user.id, "the link's session");
  });
  await check("unknown-token-redirects-to-site-root", async () => {
    const r = await follow(new Agent(), `${API}/magic-link/verify?token=${"x".repeat(32)}`);
    eq(r.status, 302, "status");
    eq(r.headers.get("location"), `${SITE}/?error=INVALID_TOKEN`, "Location");
    const c = await follow(new Agent(), `${API}/magic-link/verify?token=nope&callbackURL=%2Fdashboard%3Fx%3D1`);
    eq(c.headers.get("location"), `${SITE}/dashboard?x=1&error=INVALID_TOKEN`, "Location with a callbackURL and no errorCallbackURL");
  });
  await check("concurrent-verifications-one-wins", async () => {
    const m = await magicLink(new Agent(), email, {}, "sign-in/magic-link");
    const url = `${API}/magic-link/verify?token=${m.token}`;
    const all = await Promise.all(Array.from({ length: 6 }, () => follow(new Agent(), url)));
    eq(all.filter((r) => r.status === 200).length, 1, `200 answers (statuses ${show(all.map((r) => r.status))})`);
    for (const r of all.filter((x) => x.status !== 200)) {
      eq(r.status, 302, "status of a loser");
      eq(r.headers.get("location"), `${SITE}/?error=INVALID_TOKEN`, "Location of a loser");
    }
  });
  await check("untrusted-callbacks-403", async () => {
    for (const [key, code] of [
      ["callbackURL", "INVALID_CALLBACK_URL"],
      ["newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"],
      ["errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"],
    ]) {
      const r = await new Agent().call((c) => c.signIn.magicLink({ email, [key]: "https://evil.test/x" }));
      expectError(r, 403, code, `sign-in/magic-link with ${key}`);
      // verify's own origin checks name every URL callbackURL.
      const v = await new Agent().raw("GET", `/magic-link/verify?token=abc&${key}=${encodeURIComponent("https://evil.test/x")}`);
      eq(v.status, 403, `verify with ${key}: status`);
      eq(JSON.parse(v.text).code, "INVALID_CALLBACK_URL", `verify with ${key}: code`);
    }
  });
  await check("invalid-email-400", async () => {
    const r = await new Agent().call((c) => c.signIn.magicLink({ email: "not-an-email" }));
    expectError(r, 400, "VALIDATION_ERROR", "an invalid address");
    eq(r.error.message, "[body.email] Invalid email address", "message");
  });
  await check("verify-without-token-400", async () => {
    const r = await new Agent().raw("GET", "/magic-link/verify");
    eq(r.status, 400, "status");
    eq(JSON.parse(r.text).code, "VALIDATION_ERROR", "code");
  });
  await check("expired-link-redirects-with-error", async () => {
    const b = new Agent();
    const m = await magicLink(b, newEmail("magic-late"), { callbackURL: "/dashboard" }, "sign-in/magic-link");
    await sleep(MAGIC_LINK_SECONDS * 1000 + 500);
    const r = await follow(b, m.url);
    eq(r.status, 302, "status");
    eq(r.headers.get("location"), `${SITE}/dashboard?error=INVALID_TOKEN`, "Location");
    eq(r.setCookies.length, 0, "Set-Cookie count");
  });
};

// The email OTPs of both servers: 8 digits, 8 seconds, 3 wrong answers allowed.
const OTP_SECONDS = 8;
// Asks for a code of `type` for `email` and returns it, read from its outbox line.
// The code goes to the user's address as stored (`to`), whatever the case of the request's.
async function emailOtp(email, type, what, to = email) {
  const mark = outboxMark();
  const r = await new Agent().call((c) => c.emailOtp.sendVerificationOtp({ email, type }));
  eq(expectOk(r, what), { success: true }, `${what}: body`);
  return (await waitForEmailOtp(mark, type, to, what)).otp;
}
async function waitForEmailOtp(since, type, email, what) {
  const mail = await waitForMail(since, `email-otp-${type}`, email, what);
  assert(/^[0-9]{8}$/.test(mail.otp), `${what}: otp ${show(mail.otp)} is not 8 digits`);
  return mail;
}
// Nothing of `kind` is mailed to `to` within half a second.
async function noMail(since, kind, to, what) {
  await sleep(500);
  const mail = readOutbox().slice(since).find((m) => m.kind === kind && m.to === to);
  assert(!mail, `${what}: unexpected ${show(mail)}`);
}
const wrongOtp = (otp) => (otp === "00000000" ? "00000001" : "00000000");

SCENARIOS["email-otp"] = async () => {
  const email = newEmail("otp");
  const a = new Agent();
  let otp = null;
  let user = null;
  await check("sign-in-code-mailed", async () => {
    otp = await emailOtp(email, "sign-in", "send-verification-otp");
  });
  await check("sign-in-signs-up", async () => {
    const r = await a.call((c) => c.signIn.emailOtp({ email, otp, name: "Otp User" }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "sign-in/email-otp");
    exactKeys(data, ["token", "user"], "body");
    checkUser(data.user, "user");
    eq(data.user.email, email, "user.email");
    eq(data.user.name, "Otp User", "user.name");
    eq(data.user.emailVerified, true, "user.emailVerified");
    eq(data.user.lastLoginMethod, "email-otp", "user.lastLoginMethod");
    checkSessionCookie(r.res, { token: data.token });
    eq(findCookie(r.res, LAST_LOGIN, "last-login cookie").value, "email-otp", "last-login cookie");
    user = data.user;
  });
  await check("used-code-400", async () => {
    const r = await new Agent().call((c) => c.signIn.emailOtp({ email, otp }));
    expectError(r, 400, "INVALID_OTP", "a used code");
    eq(r.error.message, "Invalid OTP", "message");
  });
  await check("wrong-codes-until-gone", async () => {
    const code = await emailOtp(email.toUpperCase(), "sign-in", "send-verification-otp", email);
    for (let i = 1; i <= 3; i++) {
      const w = await new Agent().call((c) => c.signIn.emailOtp({ email, otp: wrongOtp(code) }));
      expectError(w, 400, "INVALID_OTP", `wrong code #${i}`);
    }
    const r = await new Agent().call((c) => c.signIn.emailOtp({ email, otp: code }));
    expectError(r, 403, "TOO_MANY_ATTEMPTS", "the right code after 3 wrong ones");
    eq(r.error.message, "Too many attempts", "message");
    expectError(await new Agent().call((c) => c.signIn.emailOtp({ email, otp: code })), 400, "INVALID_OTP", "the code is gone");
  });
  await check("existing-user-signs-in", async () => {
    const code = await emailOtp(email, "sign-in", "send-verification-otp");
    const b = new Agent();
    const data = expectOk(await b.call((c) => c.signIn.emailOtp({ email, otp: code })), "sign-in/email-otp");
    eq(data.user.id, user.id, "the same user");
    eq((await getSession(b)).user.id, user.id, "get-session");
    eq((await getSession(a)).user.id, user.id, "the first session is still alive");
  });
  await check("check-then-reset-password", async () => {
    const mark = outboxMark();
    eq(expectOk(await new Agent().call((c) => c.emailOtp.requestPasswordReset({ email })), "request-password-reset"), { success: true }, "body");
    const code = (await waitForEmailOtp(mark, "forget-password", email, "request-password-reset")).otp;
    const n = new Agent();
    expectError(await n.call((c) => c.emailOtp.checkVerificationOtp({ email, type: "forget-password", otp: wrongOtp(code) })), 400, "INVALID_OTP", "check with a wrong code");
    eq(expectOk(await n.call((c) => c.emailOtp.checkVerificationOtp({ email, type: "forget-password", otp: code })), "check-verification-otp"), { success: true }, "check body");
    const short = await n.call((c) => c.emailOtp.resetPassword({ email, otp: code, password: "short" }));
    expectError(short, 400, "PASSWORD_TOO_SHORT", "a short password");
    const r = await n.call((c) => c.emailOtp.resetPassword({ email, otp: code, password: "an-otp-reset-password" }));
    eq(expectOk(r, "reset-password"), { success: true }, "reset body");
    const s = await new Agent().call((c) => c.signIn.email({ email, password: "an-otp-reset-password" }));
    eq(expectOk(s, "sign-in with the new password").user.id, user.id, "user.id");
    expectError(await n.call((c) => c.emailOtp.resetPassword({ email, otp: code, password: "another-password-1" })), 400, "INVALID_OTP", "the code again");
  });
  await check("deprecated-forget-password-path", async () => {
    const mark = outboxMark();
    eq(expectOk(await new Agent().call((c) => c.forgetPassword.emailOtp({ email })), "forget-password/email-otp"), { success: true }, "body");
    await waitForEmailOtp(mark, "forget-password", email, "forget-password/email-otp");
  });
  await check("unknown-address-gets-nothing", async () => {
    const unknown = newEmail("otp-nobody");
    const mark = outboxMark();
    eq(expectOk(await new Agent().call((c) => c.emailOtp.requestPasswordReset({ email: unknown })), "request-password-reset"), { success: true }, "body");
    const v = await new Agent().call((c) => c.emailOtp.sendVerificationOtp({ email: unknown, type: "email-verification" }));
    eq(expectOk(v, "send-verification-otp"), { success: true }, "email-verification body");
    await noMail(mark, "email-otp-forget-password", unknown, "forget-password");
    await noMail(mark, "email-otp-email-verification", unknown, "email-verification");
  });
  await check("verify-email", async () => {
    const u = await signUp("otp-verify");
    const code = await emailOtp(u.email, "email-verification", "send-verification-otp");
    const r = await u.agent.call((c) => c.emailOtp.verifyEmail({ email: u.email, otp: code }));
    const data = expectOk(r, "verify-email");
    exactKeys(data, ["status", "token", "user"], "body");
    eq(data.status, true, "status");
    eq(data.token, null, "token");
    eq(data.user.emailVerified, true, "user.emailVerified");
    eq((await getSession(u.agent)).user.emailVerified, true, "get-session");
    const again = await u.agent.call((c) => c.emailOtp.verifyEmail({ email: u.email, otp: code }));
    expectError(again, 400, "INVALID_OTP", "the code again");
  });
  await check("unverified-user-loses-password-and-sessions", async () => {
    const u = await signUp("otp-unverified");
    const code = await emailOtp(u.email, "sign-in", "send-verification-otp");
    const data = expectOk(await new Agent().call((c) => c.signIn.emailOtp({ email: u.email, otp: code })), "sign-in/email-otp");
    eq(data.user.id, u.user.id, "user.id");
    eq(data.user.emailVerified, true, "user.emailVerified");
    eq(await sessionOf(u.cookie), null, "the sign-up session");
    const w = await new Agent().call((c) => c.signIn.email({ email: u.email, password: PASSWORD }));
    expectError(w, 401, "INVALID_EMAIL_OR_PASSWORD", "password sign-in after the code");
  });
  await check("change-email", async () => {
    const u = await signUp("otp-change");
    const target = newEmail("otp-changed");
    const same = await u.agent.call((c) => c.emailOtp.requestEmailChange({ newEmail: u.email }));
    expectError(same, 400, undefined, "the same address");
    eq(same.error.message, "Email is the same", "message");
    const mark = outboxMark();
    eq(expectOk(await u.agent.call((c) => c.emailOtp.requestEmailChange({ newEmail: target })), "request-email-change"), { success: true }, "body");
    const code = (await waitForEmailOtp(mark, "change-email", target, "request-email-change")).otp;
    expectError(await u.agent.call((c) => c.emailOtp.changeEmail({ newEmail: target, otp: wrongOtp(code) })), 400, "INVALID_OTP", "a wrong code");
    const r = await u.agent.call((c) => c.emailOtp.changeEmail({ newEmail: target, otp: code }));
    eq(expectOk(r, "change-email"), { success: true }, "body");
    checkSessionCookie(r.res, { what: "the session cookie, set again" });
    const s = await getSession(u.agent);
    eq(s.user.email, target, "user.email");
    eq(s.user.emailVerified, true, "user.emailVerified");
    expectError(await new Agent().call((c) => c.emailOtp.requestEmailChange({ newEmail: target })), 401, "UNAUTHORIZED", "without a session");
  });
  await check("refusals", async () => {
    const n = new Agent();
    const t = await n.call((c) => c.emailOtp.sendVerificationOtp({ email, type: "change-email" }));
    expectError(t, 400, undefined, "type change-email");
    eq(t.error.message, "Invalid OTP type", "message");
    eq(t.error.code, undefined, "no code");
    expectError(await n.call((c) => c.emailOtp.sendVerificationOtp({ email: "not-an-email", type: "sign-in" })), 400, "INVALID_EMAIL", "an invalid address");
    expectError(await n.call((c) => c.emailOtp.sendVerificationOtp({ email, type: "bogus" })), 400, "VALIDATION_ERROR", "an unknown type");
    expectError(await n.call((c) => c.signIn.emailOtp({ email: newEmail("otp-none"), otp: "12345678" })), 400, "INVALID_OTP", "no code sent");
    expectError(await n.call((c) => c.emailOtp.checkVerificationOtp({ email: "nope", type: "sign-in", otp: "1" })), 400, "INVALID_EMAIL", "check with an invalid address");
  });
  await check("expired-code-400", async () => {
    const late = newEmail("otp-late");
    const code = await emailOtp(late, "sign-in", "send-verification-otp");
    await sleep(OTP_SECONDS * 1000 + 500);
    const r = await new Agent().call((c) => c.signIn.emailOtp({ email: late, otp: code }));
    expectError(r, 400, "OTP_EXPIRED", "an expired code");
    eq(r.error.message, "OTP expired", "message");
    expectError(await new Agent().call((c) => c.signIn.emailOtp({ email: late, otp: code })), 400, "INVALID_OTP", "the expired code is gone");
  });
};

// ---------------------------------------------------------------------------------------------
// Main

await runSuite(SCENARIOS);
