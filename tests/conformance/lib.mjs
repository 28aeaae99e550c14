// Shared by the client suites conformance.mjs and plugins.mjs (and, for the cookie names, the
// Set-Cookie parser and the TOTP helpers, by the interop scripts through interop-lib.mjs and
// plugins-interop.mjs): command line, reporting, scenario running and the summary line, the
// cookie-jar `Agent` around better-auth's `createAuthClient`, cookie checks, the outbox and TOTP.
//
// A suite calls `parseSuiteArgs` first, defines its scenarios with `check`, and ends with
// `await runSuite(SCENARIOS)`, which prints the summary line and exits (0 all passed, 1 a check
// failed, 2 a usage error or an unreachable server).
import fs from "node:fs";
import crypto from "node:crypto";
import { createAuthClient } from "better-auth/client";

export const ORIGIN = "http://127.0.0.1:5173"; // a trusted origin of the server under test
export const COOKIE = "better-auth.session_token";
export const SESSION_DATA = "better-auth.session_data";
export const DONT_REMEMBER = "better-auth.dont_remember";
export const TWO_FACTOR = "better-auth.two_factor";
export const TRUST_DEVICE = "better-auth.trust_device";
export const PASSWORD = "correct-horse-battery";

// ---------------------------------------------------------------------------------------------
// Command line

// Set by parseSuiteArgs; read by the helpers below (`--only`, `--secret`, `--outbox`, base URL).
let usageLine = "";
let args = null;
let BASE = "";
let API = "";

export function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(usageLine);
  process.exit(2);
}
// `script` names the program in the usage line; `cookieCache` accepts `--cookie-cache`.
// Returns { args, BASE, API }.
export function parseSuiteArgs({ script, cookieCache = false }) {
  usageLine = `usage: node ${script} --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...] [--secret S]${cookieCache ? " [--cookie-cache]" : ""}`;
  args = { only: null, secret: null, cookieCache: false };
  for (let i = 2; i < process.argv.length; i++) {
    const arg = process.argv[i];
    const [key, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, null];
    const value = () => inline ?? process.argv[++i] ?? usage(`${key} needs a value`);
    if (key === "--base-url") args.baseUrl = value();
    else if (key === "--outbox") args.outbox = value();
    else if (key === "--only") args.only = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (key === "--secret") args.secret = value();
    // The server has session.cookieCache on: reads that must see the database (a revoked session,
    // a just-verified email) pass disableCookieCache, which also re-issues the cache, as an app
    // would after a change.
    else if (cookieCache && key === "--cookie-cache") args.cookieCache = true;
    else if (key === "--help" || key === "-h") usage();
    else usage(`unknown argument ${arg}`);
  }
  if (!args.baseUrl) usage("--base-url is required");
  if (!args.outbox) usage("--outbox is required");

  BASE = args.baseUrl.replace(/\/+$/, "");
  // Same rule as the client: a base URL without a path gets /api/auth.
  API = new URL(BASE).pathname === "/" ? `${BASE}/api/auth` : BASE;
  return { args, BASE, API };
}

// ---------------------------------------------------------------------------------------------
// Reporting

const results = [];
export class CheckFailed extends Error {}
export function fail(message) {
  throw new CheckFailed(message);
}
export function assert(condition, message) {
  if (!condition) fail(message);
}
export const show = (v) => {
  if (v instanceof Date) return `Date(${v.toISOString()})`;
  try {
    return JSON.stringify(v, (_, x) => (x === undefined ? "<undefined>" : x));
  } catch {
    return String(v);
  }
};
export function eq(actual, expected, what) {
  const a = actual instanceof Date ? actual.toISOString() : actual;
  const e = expected instanceof Date ? expected.toISOString() : expected;
  if (typeof a === "object" || typeof e === "object" ? show(a) !== show(e) : a !== e)
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}
export function exactKeys(obj, keys, what) {
  assert(obj && typeof obj === "object" && !Array.isArray(obj), `${what}: expected an object, got ${show(obj)}`);
  const got = Object.keys(obj).sort();
  const want = [...keys].sort();
  if (show(got) !== show(want)) fail(`${what}: keys ${show(got)}, expected exactly ${show(want)}`);
}
export function isDate(v, what) {
  assert(v instanceof Date && !Number.isNaN(v.getTime()), `${what}: expected a Date (revived ISO string), got ${show(v)}`);
}
export function nonEmptyString(v, what) {
  assert(typeof v === "string" && v.length > 0, `${what}: expected a non-empty string, got ${show(v)}`);
}
// A client result that must be an error with this status and (if given) code.
export function expectError(result, status, code, what) {
  assert(result.data === null, `${what}: expected data null, got ${show(result.data)}`);
  assert(result.error, `${what}: expected an error, got success`);
  eq(result.error.status, status, `${what}: status`);
  if (code !== undefined) eq(result.error.code, code, `${what}: error.code`);
  assert(typeof result.error.message === "string" && result.error.message.length > 0, `${what}: error.message missing (${show(result.error)})`);
  return result.error;
}
// A client result that must be a success; returns data.
export function expectOk(result, what) {
  if (result.error) fail(`${what}: expected success, got ${show(result.error)}`);
  return result.data;
}

let currentScenario = "";
// --only takes scenario names ("csrf") or full check names ("csrf.wildcard-origin-trusted").
// A scenario always runs in full (its checks build on one another); only the selected checks
// are reported and counted.
const isShown = (full) =>
  !args.only || args.only.some((o) => o === full || o === full.split(".")[0] || full.startsWith(`${o}.`));
export async function check(name, fn) {
  const full = `${currentScenario}.${name}`;
  let ok = true;
  let detail = null;
  try {
    detail = (await fn()) ?? null;
  } catch (e) {
    ok = false;
    detail = e instanceof CheckFailed ? e.message : `exception: ${e?.stack || e}`;
  }
  results.push({ name: full, ok });
  if (isShown(full)) process.stdout.write(JSON.stringify({ name: full, ok, detail }) + "\n");
  return ok;
}

// Runs the scenarios selected by --only (all without it) in order, prints the summary line and
// exits: 0 if every shown check passed, 1 if one failed, 2 on an unknown --only name or an
// unreachable server.
export async function runSuite(SCENARIOS) {
  const selected = Object.keys(SCENARIOS).filter(
    (name) => !args.only || args.only.some((o) => o === name || o.startsWith(`${name}.`)),
  );
  if (args.only) {
    const unknown = args.only.filter((o) => !Object.keys(SCENARIOS).some((n) => o === n || o.startsWith(`${n}.`)));
    if (unknown.length) usage(`unknown --only name(s): ${unknown.join(", ")} (scenarios: ${Object.keys(SCENARIOS).join(", ")})`);
  }

  const started = Date.now();
  try {
    const probe = await fetch(`${API}/ok`);
    if (probe.status !== 200) throw new Error(`GET ${API}/ok answered ${probe.status}`);
  } catch (e) {
    console.error(`error: server not reachable at ${API}: ${e.message}`);
    process.exit(2);
  }
  for (const name of selected) {
    currentScenario = name;
    try {
      await SCENARIOS[name]();
    } catch (e) {
      // Set-up outside a check failed (e.g. the scenario's sign-up): report it as its own check.
      results.push({ name: `${name}.setup`, ok: false });
      process.stdout.write(JSON.stringify({ name: `${name}.setup`, ok: false, detail: e instanceof CheckFailed ? e.message : String(e?.stack || e) }) + "\n");
    }
  }
  const shown = results.filter((r) => isShown(r.name));
  const failed = shown.filter((r) => !r.ok);
  process.stdout.write(
    JSON.stringify({
      summary: true,
      base_url: BASE,
      scenarios: selected.length,
      checks: shown.length,
      passed: shown.length - failed.length,
      failed: failed.length,
      failures: failed.map((r) => r.name),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    }) + "\n",
  );
  process.exit(failed.length ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Cookies

export function parseSetCookie(raw) {
  const [pair, ...attrParts] = raw.split(";");
  const eqAt = pair.indexOf("=");
  const attrs = {};
  for (const part of attrParts) {
    const p = part.trim();
    if (!p) continue;
    const at = p.indexOf("=");
    const key = (at < 0 ? p : p.slice(0, at)).trim().toLowerCase();
    attrs[key] = at < 0 ? true : p.slice(at + 1).trim();
  }
  return { raw, name: pair.slice(0, eqAt).trim(), value: pair.slice(eqAt + 1).trim(), attrs };
}

// A Node "browser profile": the official client plus a cookie jar and an Origin header.
// `plugins` are the client plugins given to createAuthClient.
export class Agent {
  constructor({ origin = ORIGIN, plugins = [] } = {}) {
    this.origin = origin;
    this.jar = new Map(); // name -> value (as received, still URL-encoded)
    this.log = []; // every response: {method, url, status, headers, setCookies}
    this.client = createAuthClient({
      baseURL: BASE,
      plugins,
      fetchOptions: {
        onRequest: (context) => {
          const headers = context.headers instanceof Headers ? context.headers : new Headers(context.headers || {});
          const cookie = this.cookieHeader();
          if (cookie && !headers.has("cookie")) headers.set("cookie", cookie);
          if (this.origin && !headers.has("origin")) headers.set("origin", this.origin);
          context.headers = headers;
          return context;
        },
        onResponse: (context) => {
          this.record(context.request?.method, String(context.response.url || context.request?.url), context.response);
        },
      },
    });
  }
  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  record(method, url, response) {
    const setCookies = response.headers.getSetCookie().map(parseSetCookie);
    for (const c of setCookies) {
      const maxAge = c.attrs["max-age"];
      if (c.value === "" || (maxAge !== undefined && Number(maxAge) <= 0)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    const entry = { method, url, status: response.status, headers: response.headers, setCookies };
    this.log.push(entry);
    return entry;
  }
  // Runs one client call and returns {data, error, res} where res is the recorded response.
  async call(fn) {
    const before = this.log.length;
    const out = await fn(this.client);
    const res = this.log[this.log.length - 1];
    assert(this.log.length > before, "the client made no request");
    return { data: out.data, error: out.error, res };
  }
  // Raw request with this agent's cookies (and Origin unless overridden); redirects not followed.
  async raw(method, pathOrUrl, { headers = {}, body, cookies = true, origin } = {}) {
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${API}${pathOrUrl}`;
    const h = new Headers(headers);
    const cookie = this.cookieHeader();
    if (cookies && cookie && !h.has("cookie")) h.set("cookie", cookie);
    const o = origin === undefined ? (method === "GET" ? null : this.origin) : origin;
    if (o && !h.has("origin")) h.set("origin", o);
    if (body !== undefined && !h.has("content-type")) h.set("content-type", "application/json");
    const response = await fetch(url, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      redirect: "manual",
    });
    const text = await response.text();
    const entry = this.record(method, url, response);
    return { ...entry, text };
  }
  sessionCookieValue() {
    return this.jar.get(COOKIE);
  }
}

export function findCookie(res, name, what) {
  const c = res.setCookies.filter((x) => x.name === name);
  assert(c.length > 0, `${what}: no Set-Cookie ${name} (got ${show(res.setCookies.map((x) => x.raw))})`);
  return c[c.length - 1];
}
export function noCookie(res, name, what) {
  const c = res.setCookies.filter((x) => x.name === name);
  assert(c.length === 0, `${what}: unexpected Set-Cookie ${show(c.map((x) => x.raw))}`);
}
function hmacB64(value) {
  return crypto.createHmac("sha256", args.secret).update(value).digest("base64");
}
// Signed cookie value: encodeURIComponent(value + "." + base64(HMAC-SHA256(secret, value))).
export function checkSignedValue(raw, what, expectedValue) {
  // encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) alone (the trust-device value has "!").
  assert(/^[A-Za-z0-9._~%!*'()-]+$/.test(raw), `${what}: cookie value is not URL-encoded: ${raw}`);
  const decoded = decodeURIComponent(raw);
  const dot = decoded.lastIndexOf(".");
  assert(dot > 0, `${what}: no "." separating value and signature in ${decoded}`);
  const value = decoded.slice(0, dot);
  const sig = decoded.slice(dot + 1);
  assert(/^[A-Za-z0-9+/]{43}=$/.test(sig), `${what}: signature ${sig} is not 44-char padded base64`);
  eq(raw, encodeURIComponent(decoded), `${what}: value must be exactly encodeURIComponent(token.sig)`);
  if (expectedValue !== undefined) eq(value, expectedValue, `${what}: signed value`);
  if (args.secret) eq(sig, hmacB64(value), `${what}: HMAC-SHA256 signature`);
  return value;
}
// The session cookie: persistent (Max-Age=604800) unless rememberMe was false.
export function checkSessionCookie(res, { token, persistent = true, what = "session cookie" } = {}) {
  const c = findCookie(res, COOKIE, what);
  const expected = persistent
    ? { "max-age": "604800", path: "/", httponly: true, samesite: "Lax" }
    : { path: "/", httponly: true, samesite: "Lax" };
  eq(c.attrs, expected, `${what}: attributes of ${c.raw}`);
  const value = checkSignedValue(c.value, what, token);
  nonEmptyString(value, `${what}: token`);
  return value;
}
export function checkExpiredCookie(res, name, what) {
  const c = findCookie(res, name, what);
  eq(c.value, "", `${what}: ${name} value`);
  eq(c.attrs["max-age"], "0", `${what}: ${name} Max-Age`);
}

// ---------------------------------------------------------------------------------------------
// Shapes

// The core user fields (with reference-server.mjs's additionalFields plan and nickname).
export const USER_KEYS = ["id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "plan", "nickname"];
export const SESSION_KEYS = ["id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"];

// `keys`: the exact user keys (plugins add fields).
export function checkUser(user, what, keys = USER_KEYS) {
  exactKeys(user, keys, what);
  nonEmptyString(user.id, `${what}.id`);
  nonEmptyString(user.email, `${what}.email`);
  eq(typeof user.emailVerified, "boolean", `${what}.emailVerified type`);
  assert(user.image === null || typeof user.image === "string", `${what}.image: ${show(user.image)}`);
  isDate(user.createdAt, `${what}.createdAt`);
  isDate(user.updatedAt, `${what}.updatedAt`);
  eq(user.plan, "free", `${what}.plan`);
}
export function checkSession(session, what) {
  exactKeys(session, SESSION_KEYS, what);
  nonEmptyString(session.id, `${what}.id`);
  nonEmptyString(session.token, `${what}.token`);
  nonEmptyString(session.userId, `${what}.userId`);
  isDate(session.expiresAt, `${what}.expiresAt`);
  isDate(session.createdAt, `${what}.createdAt`);
  isDate(session.updatedAt, `${what}.updatedAt`);
  assert(session.expiresAt.getTime() > Date.now(), `${what}.expiresAt is in the past`);
}

// ---------------------------------------------------------------------------------------------
// Outbox: the file the server appends one JSON line per mail (or two-factor OTP) to

export function readOutbox(file = args.outbox) {
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}
export const outboxMark = () => readOutbox().length;

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps; the key is the base32-decoded URI secret)

export function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    const index = alphabet.indexOf(ch);
    if (index < 0) fail(`not base32: ${text}`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
export function totp(key, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = crypto.createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}
