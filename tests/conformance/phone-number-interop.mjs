// Phone-number interop between two servers that share one database and one secret (the real
// better-auth with PHONE=1 and our Rust server with phone-number.toml): a code one server sends
// the other verifies (wrong answers counted across both), a user one signs up by its number signs
// in and resets its password on the other.
//
// Usage: node phone-number-interop.mjs --a URL --b URL --outbox FILE
// --outbox is the file both servers append their SMS lines to ({"kind","to","otp","at"}).
// Output: one JSON line per check {"name","ok","detail"}, then a summary line; exit code 1 if a
// check failed, 2 on a usage error.
import crypto from "node:crypto";
import { COOKIE, PASSWORD, readOutbox } from "./lib.mjs";
import { arg, check, expect, finish, request } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
const OUTBOX = arg("--outbox");
if (!SERVERS.A || !SERVERS.B || !OUTBOX) {
  console.error("usage: node phone-number-interop.mjs --a URL --b URL --outbox FILE");
  process.exit(2);
}
const newNumber = () => `+1556${String(crypto.randomInt(0, 100_000_000)).padStart(8, "0")}`;
const show = (r) => `${r.server}: ${r.status} ${r.text.slice(0, 300)}`;

async function call(server, path, body, cookie) {
  const headers = cookie ? { cookie: `${COOKIE}=${cookie}` } : {};
  const r = await request(`${SERVERS[server]}/api/auth${path}`, "POST", { body, headers });
  return { server, ...r };
}
function expectOk(r, what) {
  expect(r.status === 200, `${what}: expected 200, got ${show(r)}`);
  return r.json;
}
function expectError(r, status, code, what) {
  expect(r.status === status && r.json?.code === code, `${what}: expected ${status} ${code}, got ${show(r)}`);
}
async function waitForSms(since, kind, to) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const sms = readOutbox(OUTBOX).slice(since).find((m) => m.kind === kind && m.to === to);
    if (sms) return sms.otp;
    expect(Date.now() < deadline, `no ${kind} line to ${to} in ${OUTBOX}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function sendOtp(server, phoneNumber) {
  const mark = readOutbox(OUTBOX).length;
  expectOk(await call(server, "/phone-number/send-otp", { phoneNumber }), `send-otp on ${server}`);
  return waitForSms(mark, "sms-otp", phoneNumber);
}
// The session cookie's value an answer set.
function sessionCookie(r) {
  const c = r.setCookies.find((x) => x.name === COOKIE && x.value);
  expect(c, `${r.server}: no session cookie`);
  return c.value;
}
async function sessionUser(server, cookie) {
  const r = await request(`${SERVERS[server]}/api/auth/get-session`, "GET", { headers: { cookie: `${COOKIE}=${cookie}` } });
  return r.json?.user ?? null;
}

for (const [from, to] of [["A", "B"], ["B", "A"]]) {
  const dir = `${from}-to-${to}`;
  const phoneNumber = newNumber();
  let userId = null;

  await check(`${dir}.code-verified-by-the-other`, async () => {
    const code = await sendOtp(from, phoneNumber);
    const r = await call(to, "/phone-number/verify", { phoneNumber, code });
    const data = expectOk(r, `verify on ${to}`);
    expect(data.user?.phoneNumber === phoneNumber && data.user.phoneNumberVerified === true, `user: ${show(r)}`);
    expect(data.user.email === `${phoneNumber.slice(1)}@phone.example.com`, `temp email: ${show(r)}`);
    userId = data.user.id;
    const cookie = sessionCookie(r);
    for (const server of ["A", "B"]) {
      const user = await sessionUser(server, cookie);
      expect(user?.id === userId, `the session on ${server}: ${JSON.stringify(user)}`);
    }
  });

  await check(`${dir}.known-number-verified-by-the-other`, async () => {
    const code = await sendOtp(to, phoneNumber);
    const data = expectOk(await call(from, "/phone-number/verify", { phoneNumber, code, disableSession: true }), `verify on ${from}`);
    expect(data.user?.id === userId && data.token === null, `same user, no session: ${JSON.stringify(data)}`);
  });

  await check(`${dir}.attempts-count-on-both`, async () => {
    const n = newNumber();
    const code = await sendOtp(from, n);
    const wrong = code === "000000" ? "000001" : "000000";
    for (const server of [from, to, from]) {
      expectError(await call(server, "/phone-number/verify", { phoneNumber: n, code: wrong }), 400, "INVALID_OTP", `a wrong code on ${server}`);
    }
    expectError(await call(to, "/phone-number/verify", { phoneNumber: n, code }), 403, "TOO_MANY_ATTEMPTS", `the right code on ${to} after 3 wrong ones`);
  });

  await check(`${dir}.reset-code-used-by-the-other`, async () => {
    const mark = readOutbox(OUTBOX).length;
    expectOk(await call(from, "/phone-number/request-password-reset", { phoneNumber }), `request-password-reset on ${from}`);
    const otp = await waitForSms(mark, "sms-reset-password", phoneNumber);
    expectOk(await call(to, "/phone-number/reset-password", { phoneNumber, otp, newPassword: PASSWORD }), `reset-password on ${to}`);
  });

  await check(`${dir}.sign-in-by-number-on-both`, async () => {
    for (const server of [from, to]) {
      const r = await call(server, "/sign-in/phone-number", { phoneNumber, password: PASSWORD });
      const data = expectOk(r, `sign-in on ${server}`);
      expect(data.user?.id === userId && typeof data.token === "string", `sign-in on ${server}: ${show(r)}`);
      const user = await sessionUser(other(server), sessionCookie(r));
      expect(user?.id === userId, `${server}'s session on ${other(server)}: ${JSON.stringify(user)}`);
    }
    expectError(await call(to, "/sign-in/phone-number", { phoneNumber, password: `${PASSWORD}x` }), 401, "INVALID_PHONE_NUMBER_OR_PASSWORD", `wrong password on ${to}`);
  });
}

function other(server) {
  return server === "A" ? "B" : "A";
}

finish();
