// The cookie cache (`session_data`) between the real better-auth (reference-server.mjs with
// COOKIE_CACHE=<strategy>) and our server, on one SQLite file and one secret: a cache written by
// one answers get-session on the other without the database (the session row is deleted first,
// so only the cache can answer), and caches that are tampered, expired, signed with another
// secret or of another version are ignored (the database then answers: null, row gone).
// Other-secret, expired and wrong-version caches are built here with jose / HMAC, independently
// of both servers.
//
// Usage: node cookie-cache.mjs --better-auth URL --ours URL --db FILE --strategy S --secret S
// Output: one JSON line per check, then a summary line (as interop.mjs).
import Database from "better-sqlite3";
import { SignJWT, EncryptJWT, calculateJwkThumbprint, base64url } from "jose";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { createHMAC } from "@better-auth/utils/hmac";
import { arg, check, expect, finish, request } from "./interop-lib.mjs";

const servers = { "better-auth": arg("--better-auth"), ours: arg("--ours") };
const DB = arg("--db");
const STRATEGY = arg("--strategy");
const SECRET = arg("--secret");
if (!servers["better-auth"] || !servers.ours || !DB || !STRATEGY || !SECRET) {
  console.error("usage: node cookie-cache.mjs --better-auth URL --ours URL --db FILE --strategy S --secret S");
  process.exit(2);
}
const db = new Database(DB);
db.pragma("busy_timeout = 5000");
const TOKEN = "better-auth.session_token";
const DATA = "better-auth.session_data";
const run = Math.random().toString(36).slice(2, 8);
let n = 0;
const email = (tag) => `cache-${STRATEGY}-${run}-${++n}-${tag}@example.com`;

// `cookies`: name -> value to send. `set`: name -> value of every Set-Cookie (the last one wins).
async function call(server, method, path, { body, cookies } = {}) {
  const headers = cookies ? { cookie: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join("; ") } : {};
  const r = await request(`${servers[server]}/api/auth${path}`, method, { body, headers });
  const set = Object.fromEntries(r.setCookies.map((c) => [c.name, c.value]));
  return { status: r.status, json: r.json, text: r.text, set };
}

const show = (r) => `${r.status} ${r.text.slice(0, 300)} set-cookie ${JSON.stringify(Object.keys(r.set))}`;

/** Signs up on `server`; returns the session and cache cookies and the user. */
async function signUp(server) {
  const address = email(server);
  const r = await call(server, "POST", "/sign-up/email", { body: { email: address, password: "cache-password-1", name: "Cache" } });
  expect(r.status === 200 && r.json?.user?.id, `sign-up on ${server}: ${show(r)}`);
  expect(r.set[TOKEN] && r.set[DATA], `sign-up on ${server} set no ${TOKEN} and ${DATA}: ${show(r)}`);
  return { user: r.json.user, cookies: { [TOKEN]: r.set[TOKEN], [DATA]: r.set[DATA] } };
}
const tokenOf = (cookies) => decodeURIComponent(cookies[TOKEN]).split(".")[0];
const deleteRow = (cookies) => {
  const { changes } = db.prepare("delete from session where token = ?").run(tokenOf(cookies));
  expect(changes === 1, `deleted ${changes} session rows`);
};
async function answersFromCache(server, signed) {
  const r = await call(server, "GET", "/get-session", { cookies: signed.cookies });
  expect(r.status === 200 && r.json?.user?.id === signed.user.id, `get-session on ${server} (row deleted): ${show(r)}`);
  expect(r.json.session.token === tokenOf(signed.cookies), `session token ${r.json.session.token}`);
  expect(Object.keys(r.set).length === 0, `a cache answer sets no cookie: ${show(r)}`);
}
async function ignored(server, signed, what) {
  const r = await call(server, "GET", "/get-session", { cookies: signed.cookies });
  expect(r.status === 200 && r.json === null, `get-session on ${server} with ${what} (row deleted): ${show(r)}`);
  expect(r.set[DATA] === "", `${what}: ${DATA} expired: ${show(r)}`);
}

/** A cache for `payload` built here: `secret`, lifetime `seconds` (negative = expired). */
async function forge(payload, secret, seconds) {
  const nowS = Math.floor(Date.now() / 1000);
  if (STRATEGY === "compact") {
    const expiresAt = Date.now() + seconds * 1000;
    const signature = await createHMAC("SHA-256", "base64urlnopad").sign(secret, JSON.stringify({ ...payload, expiresAt }));
    return Buffer.from(JSON.stringify({ session: payload, expiresAt, signature })).toString("base64url");
  }
  if (STRATEGY === "jwt") {
    return new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).setIssuedAt(nowS).setExpirationTime(nowS + seconds).sign(new TextEncoder().encode(secret));
  }
  const enc = new TextEncoder();
  const key = hkdf(sha256, enc.encode(secret), enc.encode("better-auth-session"), enc.encode("BetterAuth.js Generated Encryption Key"), 64);
  const kid = await calculateJwkThumbprint({ kty: "oct", k: base64url.encode(key) }, "sha256");
  return new EncryptJWT(payload)
    .setProtectedHeader({ alg: "dir", enc: "A256CBC-HS512", kid })
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + seconds)
    .setJti(crypto.randomUUID())
    .encrypt(key);
}
/** The payload a server put in a (valid) cache, read back through get-session's answer. */
async function payloadOf(server, signed, version = "1") {
  const r = await call(server, "GET", "/get-session", { cookies: signed.cookies });
  expect(r.status === 200 && r.json?.session, `get-session on ${server}: ${show(r)}`);
  return { session: r.json.session, user: r.json.user, updatedAt: Date.now(), version };
}

const other = { "better-auth": "ours", ours: "better-auth" };
for (const from of ["better-auth", "ours"]) {
  const to = other[from];
  await check(`${STRATEGY}.${from}-cache.answers-${to}-without-the-database`, async () => {
    const signed = await signUp(from);
    deleteRow(signed.cookies);
    await answersFromCache(to, signed);
    await answersFromCache(from, signed);
    const bypass = await call(to, "GET", "/get-session?disableCookieCache=true", { cookies: signed.cookies });
    expect(bypass.status === 200 && bypass.json === null, `disableCookieCache on ${to}: ${show(bypass)}`);
  });
}
for (const server of ["ours", "better-auth"]) {
  await check(`${STRATEGY}.${server}.ignores-tampered-foreign-expired-and-other-version-caches`, async () => {
    const signed = await signUp(server);
    const payload = await payloadOf(server, signed);
    deleteRow(signed.cookies);
    const value = signed.cookies[DATA];
    const i = Math.floor(value.length / 2);
    const tampered = value.slice(0, i) + (value[i] === "A" ? "B" : "A") + value.slice(i + 1);
    await ignored(server, { ...signed, cookies: { ...signed.cookies, [DATA]: tampered } }, "a tampered cache");
    const cases = [
      ["a cache under another secret", await forge(payload, "another-secret-0123456789abcdefghijklmnopqrstuvwxyz", 300)],
      ["an expired cache", await forge(payload, SECRET, -60)],
      ["a version 2 cache", await forge({ ...payload, version: "2" }, SECRET, 300)],
    ];
    // The forger is right: the same payload, secret and version 1 is accepted.
    const good = await forge(payload, SECRET, 300);
    await answersFromCache(server, { ...signed, cookies: { ...signed.cookies, [DATA]: good } });
    for (const [what, forged] of cases) {
      await ignored(server, { ...signed, cookies: { ...signed.cookies, [DATA]: forged } }, what);
    }
  });
}

finish();
