// Conformance suite for better-auth 1.7.25's phone-number plugin, through its official client
// (`createAuthClient` + `phoneNumberClient`).
//
//   node phone-number.mjs --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...] [--secret S]
//
// Same conventions as plugins.mjs. Codes are read from the OUTBOX file, where the server's SMS
// sender appends {"kind":"sms-otp"|"sms-reset-password","to":<number>,"otp","at"} (our
// `[sms] kind = "log"` and reference-server.mjs's PHONE=1 write the same lines, beside the
// mails).
//
// The server must be configured like `PHONE=1 node reference-server.mjs`: the core configuration
// of conformance.mjs plus phoneNumber({expiresIn: 5, sendOTP, sendPasswordResetOTP,
// signUpOnVerification: {getTempEmail: <digits>@phone.example.com, getTempName: the number}}),
// rate limiting off (crates/auth-cli/tests/conformance/phone-number.toml for ours). Every
// scenario uses its own random numbers and addresses, so the suite can run repeatedly on one
// database.
import crypto from "node:crypto";
import { phoneNumberClient } from "better-auth/client/plugins";
import {
  COOKIE, PASSWORD,
  parseSuiteArgs, runSuite, check,
  fail, assert, show, eq, exactKeys, expectError, expectOk,
  Agent as BaseAgent, findCookie, noCookie, checkSessionCookie,
  USER_KEYS as CORE_USER_KEYS, checkUser as checkCoreUser, readOutbox, outboxMark,
} from "./lib.mjs";

const { args } = parseSuiteArgs({ script: "phone-number.mjs" });
const RUN = crypto.randomBytes(4).toString("hex");
let counter = 0;
// A number no other run uses: +1 555 and 8 random digits.
const newNumber = () => `+1555${String(crypto.randomInt(0, 100_000_000)).padStart(8, "0")}`;
const newEmail = (label) => `phone-${RUN}-${++counter}-${label}@example.com`;
// The codes live 5 seconds on both servers.
const OTP_SECONDS = 5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Agent extends BaseAgent {
  constructor(options = {}) {
    super({ ...options, plugins: [phoneNumberClient()] });
  }
}

const USER_KEYS = [...CORE_USER_KEYS, "phoneNumber", "phoneNumberVerified"];
function checkUser(user, what) {
  checkCoreUser(user, what, USER_KEYS);
}

// The SMS line of `kind` to `to` written after `since`: exactly {kind, to, otp, at}, a code of 6
// digits.
async function waitForSms(since, kind, to, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sms = readOutbox().slice(since).find((m) => m.kind === kind && m.to === to);
    if (sms) {
      exactKeys(sms, ["kind", "to", "otp", "at"], `${what}: SMS record`);
      assert(/^[0-9]{6}$/.test(sms.otp), `${what}: otp ${show(sms.otp)} is not 6 digits`);
      assert(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(sms.at), `${what}: at ${show(sms.at)} is not an ISO date`);
      return sms.otp;
    }
    if (Date.now() > deadline) fail(`${what}: no ${show(kind)} line to ${to} in ${args.outbox} within ${timeoutMs} ms`);
    await sleep(50);
  }
}
// Nothing of `kind` is sent to `to` within half a second.
async function noSms(since, kind, to, what) {
  await sleep(500);
  const sms = readOutbox().slice(since).find((m) => m.kind === kind && m.to === to);
  assert(!sms, `${what}: unexpected ${show(sms)}`);
}
// Asks for a verification code for `phoneNumber` and returns it.
async function sendOtp(phoneNumber, what, agent = new Agent()) {
  const mark = outboxMark();
  const r = await agent.call((c) => c.phoneNumber.sendOtp({ phoneNumber }));
  eq(expectOk(r, what), { message: "code sent" }, `${what}: body`);
  return waitForSms(mark, "sms-otp", phoneNumber, what);
}
const wrongCode = (code) => (code === "000000" ? "000001" : "000000");
const digitsEmail = (phoneNumber) => `${phoneNumber.replace(/[^0-9]/g, "")}@phone.example.com`;

// A user signed up by verifying a new number: {agent, phoneNumber, user, token}.
async function phoneUser(what) {
  const phoneNumber = newNumber();
  const agent = new Agent();
  const code = await sendOtp(phoneNumber, `${what}: send-otp`, agent);
  const r = await agent.call((c) => c.phoneNumber.verify({ phoneNumber, code }));
  const data = expectOk(r, `${what}: verify`);
  return { agent, phoneNumber, user: data.user, token: data.token, res: r.res };
}

const SCENARIOS = {};

SCENARIOS["verify-signs-up"] = async () => {
  const phoneNumber = newNumber();
  const agent = new Agent();
  let code = null;
  let data = null;
  await check("code-sent", async () => {
    code = await sendOtp(phoneNumber, "send-otp", agent);
  });
  await check("verify-signs-up-and-in", async () => {
    const r = await agent.call((c) => c.phoneNumber.verify({ phoneNumber, code }));
    eq(r.res.status, 200, "status");
    data = expectOk(r, "verify");
    exactKeys(data, ["status", "token", "user"], "verify body");
    eq(data.status, true, "status");
    checkUser(data.user, "user");
    eq(data.user.email, digitsEmail(phoneNumber), "temp email");
    eq(data.user.name, phoneNumber, "temp name");
    eq(data.user.emailVerified, false, "emailVerified");
    eq(data.user.phoneNumber, phoneNumber, "phoneNumber");
    eq(data.user.phoneNumberVerified, true, "phoneNumberVerified");
    checkSessionCookie(r.res, { token: data.token, what: "verify: session cookie" });
  });
  await check("session-is-the-new-user", async () => {
    const s = expectOk(await agent.call((c) => c.getSession()), "get-session");
    eq(s?.user?.id, data.user.id, "session user");
    eq(s.user.phoneNumber, phoneNumber, "session user phoneNumber");
  });
  await check("code-is-spent", async () => {
    const r = await agent.call((c) => c.phoneNumber.verify({ phoneNumber, code }));
    expectError(r, 400, "OTP_NOT_FOUND", "second verify");
  });
  await check("verify-known-number-without-session", async () => {
    const code = await sendOtp(phoneNumber, "send-otp again");
    const fresh = new Agent();
    const r = await fresh.call((c) => c.phoneNumber.verify({ phoneNumber, code, disableSession: true }));
    const again = expectOk(r, "verify with disableSession");
    eq(again.token, null, "token");
    eq(again.user.id, data.user.id, "same user");
    noCookie(r.res, COOKIE, "disableSession");
  });
};

SCENARIOS["wrong-codes"] = async () => {
  const phoneNumber = newNumber();
  let code = null;
  await check("wrong-codes-are-invalid", async () => {
    code = await sendOtp(phoneNumber, "send-otp");
    for (let i = 1; i <= 3; i++) {
      const r = await new Agent().call((c) => c.phoneNumber.verify({ phoneNumber, code: wrongCode(code) }));
      expectError(r, 400, "INVALID_OTP", `wrong code ${i}`);
    }
  });
  await check("then-too-many-attempts", async () => {
    const r = await new Agent().call((c) => c.phoneNumber.verify({ phoneNumber, code }));
    expectError(r, 403, "TOO_MANY_ATTEMPTS", "right code after 3 wrong");
  });
  await check("then-the-code-is-gone", async () => {
    const r = await new Agent().call((c) => c.phoneNumber.verify({ phoneNumber, code }));
    expectError(r, 400, "OTP_NOT_FOUND", "after lock-out");
  });
  await check("a-new-code-works", async () => {
    const fresh = await sendOtp(phoneNumber, "send-otp again");
    const r = await new Agent().call((c) => c.phoneNumber.verify({ phoneNumber, code: fresh }));
    eq(expectOk(r, "verify").user.phoneNumber, phoneNumber, "user");
  });
};

SCENARIOS["expired-code"] = async () => {
  const phoneNumber = newNumber();
  await check("expired-then-gone", async () => {
    const code = await sendOtp(phoneNumber, "send-otp");
    await sleep((OTP_SECONDS + 1) * 1000);
    const r = await new Agent().call((c) => c.phoneNumber.verify({ phoneNumber, code }));
    expectError(r, 400, "OTP_EXPIRED", "expired code");
    const again = await new Agent().call((c) => c.phoneNumber.verify({ phoneNumber, code }));
    expectError(again, 400, "OTP_NOT_FOUND", "expired code, again");
  });
};

SCENARIOS["unknown-number"] = async () => {
  const phoneNumber = newNumber();
  await check("verify-without-code", async () => {
    const r = await new Agent().call((c) => c.phoneNumber.verify({ phoneNumber, code: "123456" }));
    expectError(r, 400, "OTP_NOT_FOUND", "verify");
  });
  await check("sign-in-unknown", async () => {
    const r = await new Agent().call((c) => c.signIn.phoneNumber({ phoneNumber, password: PASSWORD }));
    expectError(r, 401, "INVALID_PHONE_NUMBER_OR_PASSWORD", "sign-in");
  });
  await check("reset-request-sends-nothing", async () => {
    const mark = outboxMark();
    const r = await new Agent().call((c) => c.phoneNumber.requestPasswordReset({ phoneNumber }));
    eq(expectOk(r, "request-password-reset"), { status: true }, "body");
    await noSms(mark, "sms-reset-password", phoneNumber, "request-password-reset");
  });
  await check("missing-number-is-a-validation-error", async () => {
    const r = await new Agent().raw("POST", "/phone-number/send-otp", { body: {} });
    eq(r.status, 400, "status");
    const body = JSON.parse(r.text);
    eq(body.code, "VALIDATION_ERROR", "code");
  });
};

SCENARIOS["password"] = async () => {
  let u = null;
  const newPassword = `${PASSWORD}-phone`;
  await check("no-password-yet", async () => {
    u = await phoneUser("password");
    const r = await new Agent().call((c) => c.signIn.phoneNumber({ phoneNumber: u.phoneNumber, password: PASSWORD }));
    expectError(r, 401, "INVALID_PHONE_NUMBER_OR_PASSWORD", "sign-in without a password");
  });
  let code = null;
  await check("reset-code-sent", async () => {
    const mark = outboxMark();
    const r = await new Agent().call((c) => c.phoneNumber.requestPasswordReset({ phoneNumber: u.phoneNumber }));
    eq(expectOk(r, "request-password-reset"), { status: true }, "body");
    code = await waitForSms(mark, "sms-reset-password", u.phoneNumber, "reset SMS");
  });
  await check("reset-refuses-a-wrong-code", async () => {
    const r = await new Agent().call((c) =>
      c.phoneNumber.resetPassword({ phoneNumber: u.phoneNumber, otp: wrongCode(code), newPassword }),
    );
    expectError(r, 400, "INVALID_OTP", "wrong code");
  });
  await check("reset-refuses-a-short-password", async () => {
    const r = await new Agent().call((c) => c.phoneNumber.resetPassword({ phoneNumber: u.phoneNumber, otp: code, newPassword: "short" }));
    expectError(r, 400, "PASSWORD_TOO_SHORT", "short password");
  });
  await check("reset", async () => {
    const r = await new Agent().call((c) => c.phoneNumber.resetPassword({ phoneNumber: u.phoneNumber, otp: code, newPassword }));
    eq(expectOk(r, "reset-password"), { status: true }, "body");
    const again = await new Agent().call((c) => c.phoneNumber.resetPassword({ phoneNumber: u.phoneNumber, otp: code, newPassword }));
    expectError(again, 400, "OTP_NOT_FOUND", "code reused");
  });
  await check("sign-in-by-number", async () => {
    const agent = new Agent();
    const r = await agent.call((c) => c.signIn.phoneNumber({ phoneNumber: u.phoneNumber, password: newPassword }));
    const data = expectOk(r, "sign-in");
    exactKeys(data, ["token", "user"], "sign-in body");
    checkUser(data.user, "user");
    eq(data.user.id, u.user.id, "same user");
    checkSessionCookie(r.res, { token: data.token, what: "sign-in: session cookie" });
    const s = expectOk(await agent.call((c) => c.getSession()), "get-session");
    eq(s?.user?.id, u.user.id, "session user");
  });
  await check("sign-in-not-remembered", async () => {
    const r = await new Agent().call((c) =>
      c.signIn.phoneNumber({ phoneNumber: u.phoneNumber, password: newPassword, rememberMe: false }),
    );
    const data = expectOk(r, "sign-in");
    checkSessionCookie(r.res, { token: data.token, persistent: false, what: "rememberMe false" });
  });
  await check("wrong-password", async () => {
    const r = await new Agent().call((c) => c.signIn.phoneNumber({ phoneNumber: u.phoneNumber, password: `${newPassword}x` }));
    expectError(r, 401, "INVALID_PHONE_NUMBER_OR_PASSWORD", "wrong password");
  });
};

SCENARIOS["set-only-by-verification"] = async () => {
  const email = newEmail("attach");
  const phoneNumber = newNumber();
  const agent = new Agent();
  let user = null;
  await check("sign-up-cannot-set-it", async () => {
    const r = await new Agent().call((c) => c.signUp.email({ name: "Phone", email, password: PASSWORD, phoneNumber }));
    expectError(r, 400, "PHONE_NUMBER_CANNOT_BE_SET", "sign-up with a number");
  });
  await check("update-user-cannot-set-it", async () => {
    const r = await agent.call((c) => c.signUp.email({ name: "Phone", email, password: PASSWORD }));
    user = expectOk(r, "sign-up").user;
    checkUser(user, "sign-up user");
    eq(user.phoneNumber, null, "phoneNumber");
    const u = await agent.call((c) => c.updateUser({ phoneNumber }));
    expectError(u, 400, "PHONE_NUMBER_CANNOT_BE_UPDATED", "update-user with a number");
  });
  await check("verify-attaches-it-to-the-session-user", async () => {
    const code = await sendOtp(phoneNumber, "send-otp", agent);
    const session = expectOk(await agent.call((c) => c.getSession()), "get-session");
    const r = await agent.call((c) => c.phoneNumber.verify({ phoneNumber, code, updatePhoneNumber: true }));
    const data = expectOk(r, "verify with updatePhoneNumber");
    eq(data.token, session.session.token, "the current session's token");
    eq(data.user.id, user.id, "same user");
    eq(data.user.email, email, "email kept");
    eq(data.user.phoneNumber, phoneNumber, "phoneNumber");
    eq(data.user.phoneNumberVerified, true, "phoneNumberVerified");
  });
  await check("another-user-cannot-take-it", async () => {
    const other = new Agent();
    expectOk(await other.call((c) => c.signUp.email({ name: "Other", email: newEmail("other"), password: PASSWORD })), "sign-up");
    const code = await sendOtp(phoneNumber, "send-otp", other);
    const r = await other.call((c) => c.phoneNumber.verify({ phoneNumber, code, updatePhoneNumber: true }));
    expectError(r, 400, "PHONE_NUMBER_EXIST", "taken number");
  });
  await check("update-without-session", async () => {
    const n = newNumber();
    const code = await sendOtp(n, "send-otp");
    const r = await new Agent().call((c) => c.phoneNumber.verify({ phoneNumber: n, code, updatePhoneNumber: true }));
    expectError(r, 401, "USER_NOT_FOUND", "no session");
  });
  await check("sign-in-with-the-attached-number", async () => {
    const r = await new Agent().call((c) => c.signIn.phoneNumber({ phoneNumber, password: PASSWORD }));
    eq(expectOk(r, "sign-in").user.id, user.id, "user");
  });
};

await runSuite(SCENARIOS);
