// jwt interop between two servers that share one SQLite database and one secret (the real
// better-auth with JWT=1 and our Rust server with jwt.toml): the key one server makes (its
// private half sealed under the secret) the other signs with, a token of either verifies with
// either's key set, and both put the same claims in the token of one session.
// Plain HTTP (fetch) with a cookie jar, as an app on a trusted origin sends it; the same browser
// talks to both servers (same secret, so the signed cookies are valid on both). Between the two
// directions the jwks table is emptied through the database file, so that the other server
// makes the key.
//
// Usage: node jwt-interop.mjs --a URL --b URL --db FILE [--alg EdDSA|ES256|ES512|RS256|PS256]
// --alg is the servers' key-pair algorithm (default EdDSA).
// Output: one JSON line per check {"name","ok","detail"}, then a summary line; exit code 1 if a
// check failed, 2 on a usage error.
import crypto from "node:crypto";
import Database from "better-sqlite3";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { COOKIE, PASSWORD } from "./lib.mjs";
import { arg, check, expect, finish, request } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
const DB_FILE = arg("--db");
const ALG = arg("--alg") ?? "EdDSA";
// The `crv` column and the members of the stored public JWK (jose's order), per algorithm.
const KEY_SHAPE = {
  EdDSA: [["Ed25519"], ["crv", "x", "kty"]],
  ES256: [["P-256"], ["kty", "x", "y", "crv"]],
  ES512: [["P-521"], ["kty", "x", "y", "crv"]],
  RS256: [[null], ["kty", "n", "e"]],
  PS256: [[null], ["kty", "n", "e"]],
}[ALG];
if (!SERVERS.A || !SERVERS.B || !DB_FILE || !KEY_SHAPE) {
  console.error("usage: node jwt-interop.mjs --a URL --b URL --db FILE [--alg EdDSA|ES256|ES512|RS256|PS256]");
  process.exit(2);
}
const RUN = crypto.randomBytes(3).toString("hex");
let n = 0;
const newEmail = (tag) => `jinterop-${RUN}-${++n}-${tag}@example.com`.toLowerCase();

const db = new Database(DB_FILE);
db.pragma("busy_timeout = 5000");

async function call(server, method, path, cookie) {
  const r = await request(`${SERVERS[server]}/api/auth${path}`, method, { headers: cookie ? { cookie } : {} });
  return { server, ...r };
}
const show = (r) => `${r.server}: ${r.status} ${r.text.slice(0, 300)}`;

// Signs up on `server`; the session cookie (valid on both servers).
async function signUp(server, tag) {
  const email = newEmail(tag);
  const r = await request(`${SERVERS[server]}/api/auth/sign-up/email`, "POST", { body: { email, password: PASSWORD, name: tag } });
  expect(r.status === 200, `sign-up on ${server}: ${r.status} ${r.text}`);
  const cookie = r.setCookies.find((c) => c.name === COOKIE);
  expect(cookie?.value, `no session cookie from ${server}`);
  return { cookie: `${COOKIE}=${cookie.value}`, user: r.json.user, email };
}

async function keySet(server) {
  const r = await call(server, "GET", "/jwks");
  expect(r.status === 200 && Array.isArray(r.json?.keys), `jwks: ${show(r)}`);
  return r.json;
}

async function token(server, cookie) {
  const r = await call(server, "GET", "/token", cookie);
  expect(r.status === 200 && typeof r.json?.token === "string", `token: ${show(r)}`);
  return r.json.token;
}

async function verifyWith(server, jwt, jwks) {
  const base = SERVERS[server];
  return (await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: base, audience: base })).payload;
}

for (const [from, to] of [["A", "B"], ["B", "A"]]) {
  db.prepare("DELETE FROM jwks").run();
  let made;
  let session;

  await check(`${from}-makes-the-key`, async () => {
    made = await keySet(from);
    expect(made.keys.length === 1, `one key: ${JSON.stringify(made)}`);
    const rows = db.prepare("SELECT id, alg, crv, publicKey, privateKey, expiresAt FROM jwks").all();
    expect(rows.length === 1 && rows[0].id === made.keys[0].kid, `one row, the published key: ${JSON.stringify(rows)}`);
    const [[crv], members] = KEY_SHAPE;
    expect(rows[0].alg === ALG && rows[0].crv === crv && rows[0].expiresAt === null, `alg, crv: ${JSON.stringify({ ...rows[0], privateKey: "…" })}`);
    const publicKey = JSON.parse(rows[0].publicKey);
    expect(JSON.stringify(Object.keys(publicKey)) === JSON.stringify(members), `publicKey: ${rows[0].publicKey}`);
    const sealed = JSON.parse(rows[0].privateKey);
    expect(typeof sealed === "string" && /^[0-9a-f]+$/.test(sealed), `privateKey is a JSON string of hex: ${rows[0].privateKey.slice(0, 40)}`);
  });

  await check(`${to}-publishes-${from}s-key`, async () => {
    const theirs = await keySet(to);
    expect(JSON.stringify(theirs) === JSON.stringify(made), `${to}: ${JSON.stringify(theirs)} vs ${from}: ${JSON.stringify(made)}`);
  });

  await check(`${to}-signs-with-${from}s-key`, async () => {
    session = await signUp(to, `${from}${to}`);
    const jwt = await token(to, session.cookie);
    const header = decodeProtectedHeader(jwt);
    expect(header.kid === made.keys[0].kid && header.alg === ALG, `header ${JSON.stringify(header)}`);
    const payload = await verifyWith(to, jwt, made);
    expect(payload.sub === session.user.id, `sub ${payload.sub}`);
    expect(db.prepare("SELECT count(*) AS n FROM jwks").get().n === 1, `${to} made no key of its own`);
  });

  await check(`${to}-get-session-header-verifies-with-${from}s-key`, async () => {
    const r = await call(to, "GET", "/get-session", session.cookie);
    const jwt = r.headers.get("set-auth-jwt");
    expect(r.status === 200 && jwt, `set-auth-jwt: ${show(r)}`);
    const payload = await verifyWith(to, jwt, made);
    expect(payload.email === session.email, `email ${payload.email}`);
  });

  await check(`${from}-token-verifies-with-${to}s-key-set`, async () => {
    const jwt = await token(from, session.cookie);
    const payload = await verifyWith(from, jwt, await keySet(to));
    expect(payload.sub === session.user.id, `sub ${payload.sub}`);
  });

  await check(`same-claims-on-${from}-and-${to}`, async () => {
    const claims = async (server) => {
      const { iat, exp, iss, aud, ...rest } = decodeJwt(await token(server, session.cookie));
      expect(exp - iat === 3600, `${server}: exp - iat = ${exp - iat}`);
      expect(iss === SERVERS[server] && aud === SERVERS[server], `${server}: iss ${iss}, aud ${aud}`);
      return rest;
    };
    const [mine, theirs] = [await claims(from), await claims(to)];
    expect(JSON.stringify(mine) === JSON.stringify(theirs), `${from}: ${JSON.stringify(mine)}\n${to}: ${JSON.stringify(theirs)}`);
  });
}

db.close();
finish();
