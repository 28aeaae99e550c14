// Conformance suite for a better-auth 1.7.25 compatible server.
//
//   node conformance.mjs --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...] [--secret S]
//
// Drives the server through better-auth's official client (`createAuthClient` from
// "better-auth/client"), as a Node application would: a cookie jar in fetchOptions
// onRequest/onResponse and a trusted `Origin` header. Raw `fetch` is used only where the client
// has no method (following mailed links, 404s, the HTML error page, CSRF header games).
// Mails are read from the OUTBOX file the server appends one JSON line per mail to.
//
// Output: one JSON line per check `{"name","ok","detail"}`, then a summary line; exit code 1 if
// any check failed (2 on a usage error). `--only` takes scenario names (see SCENARIOS below) or
// check-name prefixes. `--secret` (optional) additionally verifies the cookie HMACs.
//
// The server must be configured like reference-server.mjs: trustedOrigins
// ["http://localhost:3000","http://127.0.0.1:5173","https://*.example.com"], email+password,
// email verification, change-email without updateEmailWithoutVerification, delete-user with a
// verification mail, user.additionalFields plan (input:false, default "free") and nickname,
// rate limiting off. Every scenario signs up its own users with random addresses, so the suite
// can run repeatedly against the same database.
import http from "node:http";
import crypto from "node:crypto";
import {
  COOKIE, DONT_REMEMBER, PASSWORD,
  parseSuiteArgs, runSuite, check,
  fail, assert, show, eq, exactKeys, isDate, nonEmptyString, expectError, expectOk,
  Agent, findCookie, noCookie, checkSignedValue, checkSessionCookie, checkExpiredCookie,
  checkUser, checkSession, readOutbox, outboxMark,
} from "./lib.mjs";

const { args, API } = parseSuiteArgs({ script: "conformance.mjs", cookieCache: true });
const UNTRUSTED_ORIGIN = "https://evil.test";
const WILDCARD_ORIGIN = "https://app.example.com"; // matches https://*.example.com
const RUN = crypto.randomBytes(4).toString("hex");
let userCounter = 0;
// Always lower case; the few checks about case build their mixed-case variant explicitly.
const newEmail = (label) => `conf-${RUN}-${++userCounter}-${label}@example.com`.toLowerCase();

// ---------------------------------------------------------------------------------------------
// Raw HTTP

// A request with exactly these headers (no Sec-Fetch-*, no Origin unless given).
function httpRequest(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, setCookie: res.headers["set-cookie"] || [], text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// Shapes

const ACCOUNT_KEYS = ["id", "accountId", "providerId", "userId", "createdAt", "updatedAt", "scopes"];
const DAY = 86_400_000;

function approxFromNow(date, ms, what, slack = 10 * 60_000) {
  const delta = date.getTime() - Date.now();
  assert(Math.abs(delta - ms) < slack, `${what}: expected about now+${ms / 3600_000}h, got now+${(delta / 3600_000).toFixed(2)}h`);
}

// ---------------------------------------------------------------------------------------------
// Outbox

async function waitForMail(since, kind, to, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = readOutbox().slice(since).find((m) => m.kind === kind && m.to === to);
    if (mail) {
      exactKeys(mail, ["kind", "to", "subject", "url", "token", "at"], `${what}: outbox record`);
      nonEmptyString(mail.subject, `${what}: mail subject`);
      nonEmptyString(mail.url, `${what}: mail url`);
      nonEmptyString(mail.token, `${what}: mail token`);
      assert(!Number.isNaN(Date.parse(mail.at)), `${what}: mail.at is not a date: ${mail.at}`);
      return mail;
    }
    if (Date.now() > deadline) fail(`${what}: no "${kind}" mail to ${to} in ${args.outbox} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function expectNoMail(since, to, what, waitMs = 500) {
  await new Promise((r) => setTimeout(r, waitMs));
  const mails = readOutbox().slice(since).filter((m) => m.to === to);
  assert(mails.length === 0, `${what}: unexpected mail ${show(mails)}`);
}
// The location a redirect points at, resolved against the API URL.
function location(res, what) {
  assert(res.status === 302, `${what}: expected 302, got ${res.status} ${res.text ?? ""}`);
  const loc = res.headers.get("location");
  nonEmptyString(loc, `${what}: Location`);
  return new URL(loc, API);
}

// ---------------------------------------------------------------------------------------------
// Helpers that set up state

async function signUp(label, extra = {}) {
  const agent = new Agent();
  const email = newEmail(label);
  const r = await agent.call((c) => c.signUp.email({ name: `User ${label}`, email, password: PASSWORD, ...extra }));
  const data = expectOk(r, `sign-up ${email}`);
  return { agent, email, user: data.user, token: data.token };
}
async function signIn(email, password = PASSWORD, extra = {}) {
  const agent = new Agent();
  const r = await agent.call((c) => c.signIn.email({ email, password, ...extra }));
  const data = expectOk(r, `sign-in ${email}`);
  return { agent, token: data.token, user: data.user, res: r.res };
}
async function getSession(agent) {
  const query = args.cookieCache ? { query: { disableCookieCache: true } } : undefined;
  const r = await agent.call((c) => c.getSession(query));
  return expectOk(r, "get-session");
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const SCENARIOS = {};

SCENARIOS["routing"] = async () => {
  const a = new Agent();
  await check("ok", async () => {
    const r = await a.call((c) => c.ok());
    eq(r.res.status, 200, "status");
    eq(expectOk(r, "ok"), { ok: true }, "body");
  });
  await check("error-page-html", async () => {
    const r = await a.raw("GET", "/error?error=state_mismatch");
    eq(r.status, 200, "status");
    assert(/^text\/html/.test(r.headers.get("content-type") || ""), `content-type ${r.headers.get("content-type")}`);
    assert(/<html/i.test(r.text) && r.text.includes("state_mismatch"), "HTML page naming the error code");
  });
  const empty404 = async (method, path) => {
    const r = await a.raw(method, path, method === "GET" ? {} : { body: {} });
    eq(r.status, 404, `${method} ${path} status`);
    eq(r.text, "", `${method} ${path} body`);
  };
  await check("unknown-path-404", () => empty404("GET", "/does-not-exist"));
  await check("unknown-path-404-via-client", async () => {
    const r = await a.call((c) => c.$fetch("/does-not-exist"));
    eq(r.error?.status, 404, "error.status");
  });
  await check("wrong-method-404", async () => {
    await empty404("GET", "/sign-in/email");
    await empty404("POST", "/list-sessions");
  });
  await check("trailing-slash-404", async () => {
    await empty404("GET", "/get-session/");
    await empty404("GET", "/ok/");
  });
  await check("removed-routes-404", async () => {
    await empty404("POST", "/forget-password");
    await empty404("POST", "/set-password");
  });
  await check("get-session-post-405", async () => {
    const r = await a.raw("POST", "/get-session", { body: {} });
    eq(r.status, 405, "status");
    eq(JSON.parse(r.text).code, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "code");
  });
};

SCENARIOS["sign-up"] = async () => {
  const agent = new Agent();
  const email = newEmail("signup").replace("conf-", "Conf-").replace("signup@example.com", "SignUp@Example.COM");
  let r;
  await check("ok", async () => {
    r = await agent.call((c) =>
      c.signUp.email({ name: "Alice", email, password: PASSWORD, nickname: "Ali", plan: "pro", emailVerified: true }),
    );
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "sign-up");
    exactKeys(data, ["token", "user"], "body");
    nonEmptyString(data.token, "token");
    checkUser(data.user, "user");
  });
  const data = r?.data;
  await check("email-lower-cased", () => eq(data?.user?.email, email.toLowerCase(), "user.email"));
  await check("additional-field-nickname-accepted", () => eq(data?.user?.nickname, "Ali", "user.nickname"));
  await check("plan-not-settable", () => eq(data?.user?.plan, "free", "user.plan"));
  await check("email-verified-not-settable", () => eq(data?.user?.emailVerified, false, "user.emailVerified"));
  await check("name-and-image", () => {
    eq(data?.user?.name, "Alice", "user.name");
    eq(data?.user?.image, null, "user.image");
  });
  await check("session-cookie", () => checkSessionCookie(r.res, { token: data?.token }));
  await check("signed-in-after-sign-up", async () => {
    const s = await getSession(agent);
    eq(s?.user?.id, data?.user?.id, "get-session user.id");
    eq(s?.session?.token, data?.token, "get-session session.token");
    eq(s?.user?.nickname, "Ali", "stored nickname");
    eq(s?.user?.plan, "free", "stored plan");
    eq(s?.user?.emailVerified, false, "stored emailVerified");
  });
  await check("duplicate-422", async () => {
    const other = new Agent();
    const d = await other.call((c) => c.signUp.email({ name: "Again", email: email.toUpperCase(), password: PASSWORD }));
    expectError(d, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "duplicate sign-up");
    eq(d.error.statusText, "Unprocessable Entity", "statusText");
    noCookie(d.res, COOKIE, "duplicate sign-up");
  });
  await check("password-too-short", async () => {
    const d = await new Agent().call((c) => c.signUp.email({ name: "Short", email: newEmail("short"), password: "short" }));
    expectError(d, 400, "PASSWORD_TOO_SHORT", "short password");
    noCookie(d.res, COOKIE, "short password");
  });
  await check("password-too-long", async () => {
    const d = await new Agent().call((c) => c.signUp.email({ name: "Long", email: newEmail("long"), password: "x".repeat(129) }));
    expectError(d, 400, "PASSWORD_TOO_LONG", "long password");
  });
  await check("invalid-email", async () => {
    const d = await new Agent().call((c) => c.signUp.email({ name: "Bad", email: "not-an-email", password: PASSWORD }));
    expectError(d, 400, undefined, "invalid email");
    assert(["VALIDATION_ERROR", "INVALID_EMAIL"].includes(d.error.code), `error.code ${d.error.code}`);
    noCookie(d.res, COOKIE, "invalid email");
  });
  await check("missing-name", async () => {
    const d = await new Agent().call((c) => c.signUp.email({ email: newEmail("noname"), password: PASSWORD }));
    expectError(d, 400, "VALIDATION_ERROR", "missing name");
  });
};

SCENARIOS["sign-in"] = async () => {
  const { email, user } = await signUp("SignIn");
  await check("wrong-password-401", async () => {
    const a = new Agent();
    const r = await a.call((c) => c.signIn.email({ email, password: "wrong-password-1" }));
    expectError(r, 401, "INVALID_EMAIL_OR_PASSWORD", "wrong password");
    eq(r.error.message, "Invalid email or password", "message");
    noCookie(r.res, COOKIE, "wrong password");
  });
  await check("unknown-user-401", async () => {
    const r = await new Agent().call((c) => c.signIn.email({ email: newEmail("nobody"), password: PASSWORD }));
    expectError(r, 401, "INVALID_EMAIL_OR_PASSWORD", "unknown user");
  });
  await check("invalid-email-400", async () => {
    const r = await new Agent().call((c) => c.signIn.email({ email: "not-an-email", password: PASSWORD }));
    expectError(r, 400, "INVALID_EMAIL", "invalid email");
  });
  await check("ok", async () => {
    const a = new Agent();
    const r = await a.call((c) => c.signIn.email({ email: email.toUpperCase(), password: PASSWORD }));
    eq(r.res.status, 200, "status");
    const data = expectOk(r, "sign-in");
    exactKeys(data, ["redirect", "token", "user"], "body (no url without callbackURL)");
    eq(data.redirect, false, "redirect");
    checkUser(data.user, "user");
    eq(data.user.id, user.id, "user.id");
    checkSessionCookie(r.res, { token: data.token });
    const s = await getSession(a);
    eq(s?.session?.token, data.token, "session token");
    approxFromNow(s.session.expiresAt, 7 * DAY, "session.expiresAt");
  });
  await check("callback-url-redirect", async () => {
    const r = await new Agent().call((c) => c.signIn.email({ email, password: PASSWORD, callbackURL: "/dashboard" }));
    const data = expectOk(r, "sign-in with callbackURL");
    exactKeys(data, ["redirect", "token", "url", "user"], "body");
    eq(data.redirect, true, "redirect");
    eq(data.url, "/dashboard", "url");
    eq(r.res.status, 200, "status");
  });
  await check("remember-me-false", async () => {
    const a = new Agent();
    const r = await a.call((c) => c.signIn.email({ email, password: PASSWORD, rememberMe: false }));
    const data = expectOk(r, "sign-in rememberMe false");
    checkSessionCookie(r.res, { token: data.token, persistent: false });
    const dr = findCookie(r.res, DONT_REMEMBER, "dont_remember");
    eq(dr.attrs, { path: "/", httponly: true, samesite: "Lax" }, `dont_remember attributes of ${dr.raw}`);
    checkSignedValue(dr.value, "dont_remember", "true");
    const s = await getSession(a);
    eq(s?.session?.token, data.token, "session token");
    approxFromNow(s.session.expiresAt, DAY, "rememberMe=false session.expiresAt");
  });
  await check("untrusted-callback-url-403", async () => {
    const r = await new Agent().call((c) => c.signIn.email({ email, password: PASSWORD, callbackURL: "https://evil.test/x" }));
    expectError(r, 403, "INVALID_CALLBACK_URL", "untrusted callbackURL");
    noCookie(r.res, COOKIE, "untrusted callbackURL");
  });
  await check("trusted-absolute-callback-url", async () => {
    const r = await new Agent().call((c) =>
      c.signIn.email({ email, password: PASSWORD, callbackURL: "https://app.example.com/home" }),
    );
    eq(expectOk(r, "wildcard callbackURL").url, "https://app.example.com/home", "url");
  });
};

SCENARIOS["session"] = async () => {
  const { email, user, agent: a, token: tokenA } = await signUp("Session");
  await check("get-session-without-cookie-null", async () => {
    const anon = new Agent();
    const r = await anon.call((c) => c.getSession());
    eq(r.res.status, 200, "status");
    eq(r.error, null, "error");
    eq(r.data, null, "data");
    noCookie(r.res, COOKIE, "anonymous get-session");
    eq(r.res.headers.get("cache-control"), "no-store", "cache-control");
  });
  await check("get-session-shape", async () => {
    const r = await a.call((c) => c.getSession());
    const data = expectOk(r, "get-session");
    exactKeys(data, ["session", "user"], "body");
    checkSession(data.session, "session");
    checkUser(data.user, "user");
    eq(data.user.id, user.id, "user.id");
    eq(data.user.email, email, "user.email");
    eq(data.user.plan, "free", "user.plan");
    eq(data.session.userId, user.id, "session.userId");
    eq(data.session.token, tokenA, "session.token");
    eq(typeof data.session.userAgent, "string", "session.userAgent type");
    eq(r.res.headers.get("cache-control"), "no-store", "cache-control");
    noCookie(r.res, COOKIE, "fresh session is not refreshed");
  });
  await check("tampered-cookie-null", async () => {
    const t = new Agent();
    t.jar.set(COOKIE, encodeURIComponent(`${tokenA}.${"A".repeat(43)}=`));
    eq(await getSession(t), null, "tampered signature");
    const u = new Agent();
    u.jar.set(COOKIE, tokenA);
    eq(await getSession(u), null, "unsigned token");
  });
  const b = (await signIn(email)).agent;
  const c3 = await signIn(email);
  const tokenB = (await getSession(b))?.session?.token;
  await check("list-sessions", async () => {
    const r = await a.call((c) => c.listSessions());
    const list = expectOk(r, "list-sessions");
    assert(Array.isArray(list), `expected an array, got ${show(list)}`);
    eq(list.length, 3, "number of sessions");
    list.forEach((s, i) => checkSession(s, `sessions[${i}]`));
    const tokens = list.map((s) => s.token).sort();
    eq(tokens, [tokenA, tokenB, c3.token].sort(), "session tokens (included in list-sessions)");
    assert(list.every((s) => s.userId === user.id), "every session belongs to the user");
  });
  await check("list-sessions-unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.listSessions()), 401, "UNAUTHORIZED", "anonymous list-sessions");
  });
  await check("revoke-session", async () => {
    const r = await a.call((c) => c.revokeSession({ token: tokenB }));
    eq(expectOk(r, "revoke-session"), { status: true }, "body");
    eq(await getSession(b), null, "revoked session is gone");
    assert((await getSession(a))?.session?.token === tokenA, "own session still valid");
    const list = expectOk(await a.call((c) => c.listSessions()), "list-sessions");
    assert(!list.some((s) => s.token === tokenB), "revoked token not listed");
  });
  await check("revoke-session-unknown-token", async () => {
    eq(expectOk(await a.call((c) => c.revokeSession({ token: "no-such-token" })), "unknown token"), { status: true }, "body");
  });
  await check("revoke-session-unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.revokeSession({ token: tokenA })), 401, "UNAUTHORIZED", "anonymous");
  });
  await check("revoke-other-sessions", async () => {
    const d = await signIn(email);
    const r = await a.call((c) => c.revokeOtherSessions());
    eq(expectOk(r, "revoke-other-sessions"), { status: true }, "body");
    eq(await getSession(c3.agent), null, "other session c gone");
    eq(await getSession(d.agent), null, "other session d gone");
    eq((await getSession(a))?.session?.token, tokenA, "current session kept");
    const list = expectOk(await a.call((c) => c.listSessions()), "list-sessions");
    eq(list.map((s) => s.token), [tokenA], "only the current session is left");
  });
  await check("revoke-sessions", async () => {
    const e = await signIn(email);
    const r = await a.call((c) => c.revokeSessions());
    eq(expectOk(r, "revoke-sessions"), { status: true }, "body");
    checkExpiredCookie(r.res, COOKIE, "revoke-sessions");
    eq(await getSession(a), null, "current session gone");
    eq(await getSession(e.agent), null, "other session gone");
  });
  await check("revoke-sessions-unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.revokeSessions()), 401, "UNAUTHORIZED", "anonymous");
  });
};

SCENARIOS["update-user"] = async () => {
  const { agent: a, token } = await signUp("Update");
  await check("name-and-nickname", async () => {
    const r = await a.call((c) => c.updateUser({ name: "Renamed", nickname: "Nick" }));
    eq(r.res.status, 200, "status");
    eq(expectOk(r, "update-user"), { status: true }, "body");
    checkSessionCookie(r.res, { token, what: "re-issued session cookie (same token)" });
    const s = await getSession(a);
    eq(s?.user?.name, "Renamed", "name");
    eq(s?.user?.nickname, "Nick", "nickname");
  });
  await check("image", async () => {
    eq(expectOk(await a.call((c) => c.updateUser({ image: "https://img.example.com/a.png" })), "image"), { status: true }, "body");
    eq((await getSession(a))?.user?.image, "https://img.example.com/a.png", "image");
    eq(expectOk(await a.call((c) => c.updateUser({ image: null })), "image null"), { status: true }, "body");
    eq((await getSession(a))?.user?.image, null, "image cleared");
  });
  await check("email-not-updatable", async () => {
    expectError(await a.call((c) => c.updateUser({ email: newEmail("other") })), 400, "EMAIL_CAN_NOT_BE_UPDATED", "email");
  });
  await check("plan-not-settable", async () => {
    expectError(await a.call((c) => c.updateUser({ plan: "pro" })), 400, "FIELD_NOT_ALLOWED", "plan");
    eq((await getSession(a))?.user?.plan, "free", "plan unchanged");
  });
  await check("no-fields-400", async () => {
    const r = await a.call((c) => c.updateUser({}, { method: "POST" }));
    expectError(r, 400, undefined, "empty update");
    eq(r.error.message, "No fields to update", "message");
    const r2 = await a.call((c) => c.updateUser({ emailVerified: true }));
    expectError(r2, 400, undefined, "only a non-input field");
    eq(r2.error.message, "No fields to update", "message");
    eq((await getSession(a))?.user?.emailVerified, false, "emailVerified unchanged");
  });
  await check("unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.updateUser({ name: "x" })), 401, "UNAUTHORIZED", "anonymous");
  });
};

SCENARIOS["update-session"] = async () => {
  const { agent: a } = await signUp("UpdSession");
  await check("no-fields-400", async () => {
    const r = await a.call((c) => c.updateSession({}, { method: "POST" }));
    expectError(r, 400, undefined, "empty update-session");
    eq(r.error.message, "No fields to update", "message");
    const r2 = await a.call((c) => c.updateSession({ userId: "someone-else", token: "x" }));
    expectError(r2, 400, undefined, "core session fields are not updatable");
    eq(r2.error.message, "No fields to update", "message");
  });
  await check("unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.updateSession({ foo: 1 })), 401, "UNAUTHORIZED", "anonymous");
  });
};

SCENARIOS["change-password"] = async () => {
  const { email, agent: a, token: tokenA, user } = await signUp("ChangePw");
  const b = await signIn(email);
  const NEW1 = "new-password-one";
  const NEW2 = "new-password-two";
  await check("wrong-current-400", async () => {
    const r = await a.call((c) => c.changePassword({ currentPassword: "not-the-password", newPassword: NEW1 }));
    expectError(r, 400, "INVALID_PASSWORD", "wrong current password");
  });
  await check("new-too-short-400", async () => {
    const r = await a.call((c) => c.changePassword({ currentPassword: PASSWORD, newPassword: "short" }));
    expectError(r, 400, "PASSWORD_TOO_SHORT", "short new password");
  });
  await check("ok-keep-sessions", async () => {
    const r = await a.call((c) => c.changePassword({ currentPassword: PASSWORD, newPassword: NEW1 }));
    const data = expectOk(r, "change-password");
    exactKeys(data, ["token", "user"], "body");
    eq(data.token, null, "token");
    checkUser(data.user, "user");
    eq(data.user.id, user.id, "user.id");
    noCookie(r.res, COOKIE, "no new session cookie");
    eq((await getSession(a))?.session?.token, tokenA, "current session kept");
    assert((await getSession(b.agent)) !== null, "other session kept");
  });
  await check("sign-in-with-new-password", async () => {
    expectError(await new Agent().call((c) => c.signIn.email({ email, password: PASSWORD })), 401, "INVALID_EMAIL_OR_PASSWORD", "old password");
    expectOk(await new Agent().call((c) => c.signIn.email({ email, password: NEW1 })), "new password");
  });
  await check("revoke-other-sessions-new-token", async () => {
    const r = await a.call((c) => c.changePassword({ currentPassword: NEW1, newPassword: NEW2, revokeOtherSessions: true }));
    const data = expectOk(r, "change-password with revokeOtherSessions");
    exactKeys(data, ["token", "user"], "body");
    nonEmptyString(data.token, "token");
    assert(data.token !== tokenA, "a new session token");
    checkSessionCookie(r.res, { token: data.token });
    eq((await getSession(a))?.session?.token, data.token, "client now uses the new session");
    eq(await getSession(b.agent), null, "other session revoked");
    const list = expectOk(await a.call((c) => c.listSessions()), "list-sessions");
    eq(list.map((s) => s.token), [data.token], "only the new session is left");
  });
  await check("unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.changePassword({ currentPassword: NEW2, newPassword: NEW1 })), 401, "UNAUTHORIZED", "anonymous");
  });
};

SCENARIOS["verify-password"] = async () => {
  const { agent: a } = await signUp("VerifyPw");
  await check("ok", async () => {
    eq(expectOk(await a.call((c) => c.verifyPassword({ password: PASSWORD })), "verify-password"), { status: true }, "body");
  });
  await check("wrong-400", async () => {
    expectError(await a.call((c) => c.verifyPassword({ password: "wrong-password-1" })), 400, "INVALID_PASSWORD", "wrong password");
  });
  await check("unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.verifyPassword({ password: PASSWORD })), 401, "UNAUTHORIZED", "anonymous");
  });
};

SCENARIOS["email-verification"] = async () => {
  const { email, agent: a, user } = await signUp("Verify");
  let mail;
  await check("send-verification-email", async () => {
    const since = outboxMark();
    const r = await a.call((c) => c.sendVerificationEmail({ email }));
    eq(expectOk(r, "send-verification-email"), { status: true }, "body");
    mail = await waitForMail(since, "verify-email", email, "verification mail");
    const url = new URL(mail.url);
    eq(url.pathname, new URL(`${API}/verify-email`).pathname, "link path");
    eq(url.searchParams.get("token"), mail.token, "link token");
    eq(url.searchParams.get("callbackURL"), "/", "default callbackURL");
  });
  await check("email-mismatch-400", async () => {
    expectError(await a.call((c) => c.sendVerificationEmail({ email: newEmail("other") })), 400, "EMAIL_MISMATCH", "other address");
  });
  await check("verify-bad-token-401", async () => {
    expectError(await a.call((c) => c.verifyEmail({ query: { token: "not-a-token" } })), 401, "INVALID_TOKEN", "bad token");
  });
  await check("verify-bad-token-with-callback-redirects", async () => {
    const r = await a.raw("GET", `/verify-email?token=bad&callbackURL=${encodeURIComponent("/verified")}`);
    const loc = location(r, "bad token with callbackURL");
    eq(loc.pathname, "/verified", "redirect path");
    eq(loc.searchParams.get("error"), "INVALID_TOKEN", "error param");
  });
  await check("follow-link-verifies", async () => {
    assert(mail, "no mail from the previous check");
    const r = await a.raw("GET", mail.url);
    const loc = location(r, "verification link");
    eq(loc.pathname, "/", "redirect to callbackURL");
    const s = await getSession(a);
    eq(s?.user?.emailVerified, true, "emailVerified");
    eq(s?.user?.id, user.id, "same user");
  });
  await check("already-verified-400", async () => {
    expectError(await a.call((c) => c.sendVerificationEmail({ email })), 400, "EMAIL_ALREADY_VERIFIED", "already verified");
  });
  await check("verify-via-client", async () => {
    const v = await signUp("Verify2");
    const since = outboxMark();
    expectOk(await v.agent.call((c) => c.sendVerificationEmail({ email: v.email, callbackURL: "/verified" })), "send");
    const m = await waitForMail(since, "verify-email", v.email, "verification mail");
    eq(new URL(m.url).searchParams.get("callbackURL"), "/verified", "callbackURL in link");
    const r = await v.agent.call((c) => c.verifyEmail({ query: { token: m.token } }));
    eq(expectOk(r, "verify-email"), { status: true, user: null }, "body");
    eq((await getSession(v.agent))?.user?.emailVerified, true, "emailVerified");
  });
  await check("anonymous-send-200", async () => {
    const since = outboxMark();
    const who = newEmail("ghost");
    eq(expectOk(await new Agent().call((c) => c.sendVerificationEmail({ email: who })), "anonymous"), { status: true }, "body");
    await expectNoMail(since, who, "unknown address");
  });
};

SCENARIOS["change-email"] = async () => {
  const { email, agent: a, user } = await signUp("ChangeEmail");
  const target = newEmail("changed").replace("changed@example.com", "Changed@Example.com");
  let mail;
  await check("same-email-400", async () => {
    const r = await a.call((c) => c.changeEmail({ newEmail: email }));
    expectError(r, 400, undefined, "same email");
    eq(r.error.message, "Email is the same", "message");
  });
  await check("invalid-email-400", async () => {
    expectError(await a.call((c) => c.changeEmail({ newEmail: "not-an-email" })), 400, "VALIDATION_ERROR", "invalid email");
  });
  await check("taken-email-silent-200", async () => {
    const other = await signUp("Taken");
    const since = outboxMark();
    eq(expectOk(await a.call((c) => c.changeEmail({ newEmail: other.email })), "taken"), { status: true }, "body");
    await expectNoMail(since, other.email, "taken address");
    eq((await getSession(a))?.user?.email, email, "email unchanged");
  });
  await check("request", async () => {
    const since = outboxMark();
    const r = await a.call((c) => c.changeEmail({ newEmail: target, callbackURL: "/changed" }));
    eq(expectOk(r, "change-email"), { status: true }, "body");
    mail = await waitForMail(since, "verify-email", target.toLowerCase(), "mail to the new address");
    const url = new URL(mail.url);
    eq(url.pathname, new URL(`${API}/verify-email`).pathname, "link path");
    eq(url.searchParams.get("callbackURL"), "/changed", "callbackURL");
    eq((await getSession(a))?.user?.email, email, "email not changed before the link is followed");
  });
  await check("follow-link-changes-email", async () => {
    assert(mail, "no mail from the previous check");
    const r = await a.raw("GET", mail.url);
    eq(location(r, "change-email link").pathname, "/changed", "redirect");
    const s = await getSession(a);
    eq(s?.user?.email, target.toLowerCase(), "new email");
    eq(s?.user?.id, user.id, "same user");
    expectOk(await new Agent().call((c) => c.signIn.email({ email: target, password: PASSWORD })), "sign-in with the new email");
    expectError(await new Agent().call((c) => c.signIn.email({ email, password: PASSWORD })), 401, "INVALID_EMAIL_OR_PASSWORD", "old email");
  });
  await check("unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.changeEmail({ newEmail: newEmail("x") })), 401, "UNAUTHORIZED", "anonymous");
  });
};

SCENARIOS["password-reset"] = async () => {
  const { email } = await signUp("Reset");
  const NEWPW = "reset-password-new";
  let mail;
  const RESET_MESSAGE = "If this email exists in our system, check your email for the reset link";
  await check("request", async () => {
    const since = outboxMark();
    const r = await new Agent().call((c) => c.requestPasswordReset({ email, redirectTo: "/reset" }));
    eq(expectOk(r, "request-password-reset"), { status: true, message: RESET_MESSAGE }, "body");
    mail = await waitForMail(since, "reset-password", email, "reset mail");
    const url = new URL(mail.url);
    eq(url.pathname, new URL(`${API}/reset-password/${mail.token}`).pathname, "link path");
    eq(url.searchParams.get("callbackURL"), "/reset", "callbackURL");
  });
  await check("request-unknown-email-same-answer", async () => {
    const since = outboxMark();
    const who = newEmail("nobody");
    const r = await new Agent().call((c) => c.requestPasswordReset({ email: who, redirectTo: "/reset" }));
    eq(expectOk(r, "unknown email"), { status: true, message: RESET_MESSAGE }, "body");
    await expectNoMail(since, who, "unknown address");
  });
  await check("untrusted-redirect-403", async () => {
    const r = await new Agent().call((c) => c.requestPasswordReset({ email, redirectTo: "https://evil.test/reset" }));
    expectError(r, 403, "INVALID_REDIRECT_URL", "untrusted redirectTo");
  });
  await check("link-redirects-with-token", async () => {
    assert(mail, "no mail from the previous check");
    const r = await new Agent().raw("GET", mail.url);
    const loc = location(r, "reset link");
    eq(loc.pathname, "/reset", "redirect path");
    eq(loc.searchParams.get("token"), mail.token, "token param");
  });
  await check("link-bad-token-redirects-with-error", async () => {
    const r = await new Agent().raw("GET", `/reset-password/bogus-token?callbackURL=${encodeURIComponent("/reset")}`);
    const loc = location(r, "bad reset link");
    eq(loc.pathname, "/reset", "redirect path");
    eq(loc.searchParams.get("error"), "INVALID_TOKEN", "error param");
  });
  await check("too-short-400", async () => {
    expectError(await new Agent().call((c) => c.resetPassword({ newPassword: "short", token: mail?.token })), 400, "PASSWORD_TOO_SHORT", "short");
  });
  await check("reset", async () => {
    const r = await new Agent().call((c) => c.resetPassword({ newPassword: NEWPW, token: mail?.token }));
    eq(expectOk(r, "reset-password"), { status: true }, "body");
    noCookie(r.res, COOKIE, "reset-password");
  });
  await check("token-reuse-400", async () => {
    expectError(await new Agent().call((c) => c.resetPassword({ newPassword: "another-password", token: mail?.token })), 400, "INVALID_TOKEN", "reuse");
  });
  await check("sign-in-with-new-password", async () => {
    expectOk(await new Agent().call((c) => c.signIn.email({ email, password: NEWPW })), "new password");
    expectError(await new Agent().call((c) => c.signIn.email({ email, password: PASSWORD })), 401, "INVALID_EMAIL_OR_PASSWORD", "old password");
  });
};

SCENARIOS["accounts"] = async () => {
  const { agent: a, user } = await signUp("Accounts");
  let account;
  await check("list-accounts", async () => {
    const list = expectOk(await a.call((c) => c.listAccounts()), "list-accounts");
    assert(Array.isArray(list), `expected an array, got ${show(list)}`);
    eq(list.length, 1, "number of accounts");
    account = list[0];
    exactKeys(account, ACCOUNT_KEYS, "account");
    eq(account.providerId, "credential", "providerId");
    eq(account.accountId, user.id, "accountId");
    eq(account.userId, user.id, "userId");
    eq(account.scopes, [], "scopes");
    nonEmptyString(account.id, "id");
    isDate(account.createdAt, "createdAt");
    isDate(account.updatedAt, "updatedAt");
  });
  await check("unlink-last-account-400", async () => {
    const r = await a.call((c) => c.unlinkAccount({ accountId: account?.id }));
    expectError(r, 400, "FAILED_TO_UNLINK_LAST_ACCOUNT", "only account");
    eq(expectOk(await a.call((c) => c.listAccounts()), "list-accounts").length, 1, "account still there");
  });
  // better-auth checks "last account" before looking the id up, so with a single account an
  // unknown id gets FAILED_TO_UNLINK_LAST_ACCOUNT too (ACCOUNT_NOT_FOUND needs a second account,
  // i.e. a social provider, which this suite does not configure).
  await check("unlink-unknown-account-single-account-400", async () => {
    expectError(await a.call((c) => c.unlinkAccount({ accountId: "no-such-account" })), 400, "FAILED_TO_UNLINK_LAST_ACCOUNT", "unknown account");
  });
  await check("unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.listAccounts()), 401, "UNAUTHORIZED", "anonymous list-accounts");
  });
};

SCENARIOS["delete-user"] = async () => {
  await check("wrong-password-400", async () => {
    const { agent: a } = await signUp("DelWrong");
    expectError(await a.call((c) => c.deleteUser({ password: "wrong-password-1" })), 400, "INVALID_PASSWORD", "wrong password");
    assert((await getSession(a)) !== null, "still signed in");
  });
  await check("password-then-callback-link", async () => {
    const { agent: a, email } = await signUp("DelLink");
    const since = outboxMark();
    const r = await a.call((c) => c.deleteUser({ password: PASSWORD, callbackURL: "/goodbye" }));
    // With sendDeleteAccountVerification configured the password is checked, then a mail is sent.
    eq(expectOk(r, "delete-user"), { success: true, message: "Verification email sent" }, "body");
    const mail = await waitForMail(since, "delete-account", email, "delete mail");
    const url = new URL(mail.url);
    eq(url.pathname, new URL(`${API}/delete-user/callback`).pathname, "link path");
    eq(url.searchParams.get("token"), mail.token, "token");
    eq(url.searchParams.get("callbackURL"), "/goodbye", "callbackURL");
    assert((await getSession(a)) !== null, "not deleted before the link is followed");
    const link = await a.raw("GET", mail.url);
    eq(location(link, "delete link").pathname, "/goodbye", "redirect");
    eq(await getSession(a), null, "session gone");
    expectError(await new Agent().call((c) => c.signIn.email({ email, password: PASSWORD })), 401, "INVALID_EMAIL_OR_PASSWORD", "deleted user signs in");
  });
  await check("callback-link-json", async () => {
    const { agent: a, email } = await signUp("DelJson");
    const since = outboxMark();
    eq(expectOk(await a.call((c) => c.deleteUser()), "delete-user"), { success: true, message: "Verification email sent" }, "body");
    const mail = await waitForMail(since, "delete-account", email, "delete mail");
    const r = await a.call((c) => c.deleteUser.callback({ query: { token: mail.token } }));
    eq(expectOk(r, "delete-user/callback"), { success: true, message: "User deleted" }, "body");
    eq(await getSession(a), null, "session gone");
  });
  await check("token-deletes", async () => {
    const { agent: a, email } = await signUp("DelToken");
    const since = outboxMark();
    expectOk(await a.call((c) => c.deleteUser()), "delete-user");
    const mail = await waitForMail(since, "delete-account", email, "delete mail");
    expectError(await a.call((c) => c.deleteUser({ token: "wrong-token" })), 404, "INVALID_TOKEN", "wrong token");
    const r = await a.call((c) => c.deleteUser({ token: mail.token }));
    eq(expectOk(r, "delete-user with token"), { success: true, message: "User deleted" }, "body");
    checkExpiredCookie(r.res, COOKIE, "delete-user");
    eq(await getSession(a), null, "session gone");
    expectError(await new Agent().call((c) => c.signIn.email({ email, password: PASSWORD })), 401, "INVALID_EMAIL_OR_PASSWORD", "deleted user signs in");
  });
  await check("unauthenticated-401", async () => {
    expectError(await new Agent().call((c) => c.deleteUser({ password: PASSWORD })), 401, "UNAUTHORIZED", "anonymous");
  });
};

SCENARIOS["sign-out"] = async () => {
  const { agent: a } = await signUp("SignOut");
  const oldCookie = a.sessionCookieValue();
  await check("sign-out", async () => {
    const r = await a.call((c) => c.signOut());
    eq(r.res.status, 200, "status");
    eq(expectOk(r, "sign-out"), { success: true }, "body");
    checkExpiredCookie(r.res, COOKIE, "sign-out");
    const c = findCookie(r.res, COOKIE, "sign-out");
    eq(c.attrs, { "max-age": "0", path: "/", httponly: true, samesite: "Lax" }, "expired cookie attributes");
    eq(a.sessionCookieValue(), undefined, "jar cleared");
    eq(await getSession(a), null, "get-session");
  });
  await check("old-cookie-replayed-null", async () => {
    const t = new Agent();
    t.jar.set(COOKIE, oldCookie);
    eq(await getSession(t), null, "session deleted server-side");
  });
  await check("without-session", async () => {
    eq(expectOk(await new Agent().call((c) => c.signOut()), "anonymous sign-out"), { success: true }, "body");
  });
};

SCENARIOS["csrf"] = async () => {
  const { email, agent: a } = await signUp("Csrf");
  await check("untrusted-origin-403", async () => {
    const r = await a.call((c) => c.updateUser({ name: "Evil" }, { headers: { origin: UNTRUSTED_ORIGIN } }));
    expectError(r, 403, "INVALID_ORIGIN", "cookie + untrusted Origin");
    eq((await getSession(a))?.user?.name, "User Csrf", "name unchanged");
  });
  await check("lookalike-origin-403", async () => {
    const r = await a.call((c) => c.updateUser({ name: "Evil" }, { headers: { origin: "https://app.example.com.evil.test" } }));
    expectError(r, 403, "INVALID_ORIGIN", "cookie + look-alike Origin");
  });
  await check("unrelated-cookie-still-checked", async () => {
    const r = await new Agent().raw("POST", "/sign-out", { body: {}, headers: { cookie: "theme=dark" }, origin: UNTRUSTED_ORIGIN });
    eq(r.status, 403, "status");
    eq(JSON.parse(r.text).code, "INVALID_ORIGIN", "code");
  });
  await check("missing-origin-with-cookie-403", async () => {
    const noOrigin = new Agent({ origin: null });
    noOrigin.jar = a.jar;
    const r = await noOrigin.call((c) => c.updateUser({ name: "Evil" }));
    expectError(r, 403, "MISSING_OR_NULL_ORIGIN", "cookie without Origin");
  });
  await check("wildcard-origin-trusted", async () => {
    const r = await a.call((c) => c.updateUser({ name: "Wildcard" }, { headers: { origin: WILDCARD_ORIGIN } }));
    eq(expectOk(r, "wildcard Origin"), { status: true }, "body");
    eq((await getSession(a))?.user?.name, "Wildcard", "name updated");
  });
  await check("other-trusted-origin", async () => {
    const r = await a.call((c) => c.updateUser({ name: "Localhost" }, { headers: { origin: "http://localhost:3000" } }));
    eq(expectOk(r, "trusted Origin"), { status: true }, "body");
  });
  await check("get-not-origin-checked", async () => {
    const r = await a.call((c) => c.getSession({ fetchOptions: { headers: { origin: UNTRUSTED_ORIGIN } } }));
    eq(expectOk(r, "get-session")?.user?.email, email, "GET with cookie and untrusted Origin is served");
  });
  await check("sign-in-sec-fetch-no-origin-403", async () => {
    const noOrigin = new Agent({ origin: null });
    const r = await noOrigin.call((c) =>
      c.signIn.email({ email, password: PASSWORD }, { headers: { "sec-fetch-mode": "cors" } }),
    );
    expectError(r, 403, "MISSING_OR_NULL_ORIGIN", "sign-in with Sec-Fetch-Mode and no Origin");
    noCookie(r.res, COOKIE, "rejected sign-in");
  });
  await check("sign-up-sec-fetch-no-origin-403", async () => {
    const r = await new Agent({ origin: null }).call((c) =>
      c.signUp.email({ name: "x", email: newEmail("nosign"), password: PASSWORD }, { headers: { "sec-fetch-mode": "cors" } }),
    );
    expectError(r, 403, "MISSING_OR_NULL_ORIGIN", "sign-up with Sec-Fetch-Mode and no Origin");
  });
  await check("sign-in-untrusted-origin-403", async () => {
    const r = await new Agent({ origin: UNTRUSTED_ORIGIN }).call((c) => c.signIn.email({ email, password: PASSWORD }));
    expectError(r, 403, "INVALID_ORIGIN", "sign-in from an untrusted Origin");
  });
  await check("cross-site-navigation-403", async () => {
    // node:http, because fetch (undici) always sends its own Sec-Fetch-Mode: cors.
    const r = await httpRequest("POST", `${API}/sign-in/email`, {
      "content-type": "application/x-www-form-urlencoded",
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "navigate",
      "sec-fetch-dest": "document",
    }, new URLSearchParams({ email, password: PASSWORD }).toString());
    eq(r.status, 403, "status");
    eq(JSON.parse(r.text).code, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "code");
    assert(!r.setCookie.some((c) => c.startsWith(`${COOKIE}=`)), "no session cookie");
  });
  await check("untrusted-callback-url-403", async () => {
    const r = await a.call((c) => c.sendVerificationEmail({ email, callbackURL: "https://evil.test/cb" }));
    expectError(r, 403, "INVALID_CALLBACK_URL", "send-verification-email callbackURL");
    const r2 = await new Agent().call((c) => c.signIn.email({ email, password: PASSWORD, callbackURL: "//evil.test/x" }));
    expectError(r2, 403, "INVALID_CALLBACK_URL", "protocol-relative callbackURL");
  });
};

SCENARIOS["transport"] = async () => {
  const { agent: a, email } = await signUp("Transport");
  const ISO = /"(\d{4}-\d{2}-\d{2}T[^"]*)"/g;
  await check("json-dates-millisecond-iso", async () => {
    const r = await a.raw("GET", "/get-session");
    eq(r.status, 200, "status");
    eq(r.headers.get("content-type"), "application/json", "content-type");
    const dates = [...r.text.matchAll(ISO)].map((m) => m[1]);
    eq(dates.length, 5, "date fields in {session,user}");
    for (const d of dates) assert(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(d), `date ${d} is not toISOString() form`);
  });
  await check("get-session-null-literal", async () => {
    const r = await new Agent().raw("GET", "/get-session");
    eq(r.status, 200, "status");
    eq(r.text, "null", "body");
  });
  await check("error-body-shape", async () => {
    const r = await new Agent().raw("POST", "/sign-in/email", { body: { email, password: "wrong-password-1" } });
    eq(r.status, 401, "status");
    eq(r.headers.get("content-type"), "application/json", "content-type");
    eq(JSON.parse(r.text), { message: "Invalid email or password", code: "INVALID_EMAIL_OR_PASSWORD" }, "body");
  });
  await check("form-urlencoded-sign-in", async () => {
    const r = await new Agent().raw("POST", "/sign-in/email", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email, password: PASSWORD }).toString(),
    });
    eq(r.status, 200, `status (${r.text})`);
    const body = JSON.parse(r.text);
    eq(body.user?.email, email, "user.email");
    checkSessionCookie(r, { token: body.token });
  });
  await check("unsupported-media-type-415", async () => {
    const r = await new Agent().raw("POST", "/sign-in/email", { headers: { "content-type": "text/plain" }, body: "x" });
    eq(r.status, 415, "status");
    eq(JSON.parse(r.text).code, "UNSUPPORTED_MEDIA_TYPE", "code");
  });
  await check("invalid-json-400", async () => {
    const r = await new Agent().raw("POST", "/sign-in/email", { body: '{"email":' });
    eq(r.status, 400, "status");
    eq(JSON.parse(r.text).code, "BAD_REQUEST", "code");
  });
};

// ---------------------------------------------------------------------------------------------
// Main

await runSuite(SCENARIOS);
