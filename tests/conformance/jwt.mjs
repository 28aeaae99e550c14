// Conformance suite for the better-auth 1.7.25 jwt plugin: GET /token, GET /jwks and the
// set-auth-jwt header of get-session, through better-auth's official client with `jwtClient`,
// every token verified by `jose` (the library better-auth signs with) against the server's key set.
//
//   node jwt.mjs --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...] [--secret S]
//
// The server must be configured like `JWT=1 node reference-server.mjs`: the core configuration
// of conformance.mjs plus jwt({ jwt: { expirationTime: "1h" } }) (our side: jwt.toml), rate
// limiting off. Every scenario signs up its own users, so the suite runs repeatedly on one
// database. Output: one JSON line per check, then a summary line (lib.mjs).
import crypto from "node:crypto";
import { jwtClient } from "better-auth/client/plugins";
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import {
  COOKIE, PASSWORD,
  parseSuiteArgs, runSuite, check,
  assert, show, eq, exactKeys, expectError, expectOk, nonEmptyString,
  Agent as BaseAgent,
} from "./lib.mjs";

const { BASE, API } = parseSuiteArgs({ script: "jwt.mjs" });
const RUN = crypto.randomBytes(4).toString("hex");
let userCounter = 0;
const newEmail = (label) => `jwt-${RUN}-${++userCounter}-${label}@example.com`;
const LIFETIME = 3600; // expirationTime "1h"
const KEY_MEMBERS = ["alg", "crv", "x", "kty", "kid"];

class Agent extends BaseAgent {
  constructor(options = {}) {
    super({ ...options, plugins: [jwtClient()] });
  }
}

// A signed-up agent and its user as get-session sends it (keys in the server's order).
async function signedUp(label) {
  const agent = new Agent();
  const email = newEmail(label);
  expectOk(await agent.call((c) => c.signUp.email({ email, password: PASSWORD, name: label })), "sign-up");
  const raw = await agent.raw("GET", "/get-session");
  eq(raw.status, 200, "get-session status");
  return { agent, email, user: JSON.parse(raw.text).user };
}

async function keySet(agent) {
  const data = expectOk(await agent.call((c) => c.jwks()), "jwks");
  assert(Array.isArray(data?.keys) && data.keys.length > 0, `jwks: expected keys, got ${show(data)}`);
  return data;
}

// jose's verdict with the server's key set, issuer and audience the base URL.
const verify = (token, jwks, options = {}) =>
  jwtVerify(token, createLocalJWKSet(jwks), { issuer: BASE, audience: BASE, ...options });

async function rejects(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    eq(e.code, code, `${what}: jose's error`);
    return;
  }
  assert(false, `${what}: verified`);
}

const SCENARIOS = {};

SCENARIOS.token = async () => {
  const { agent, user } = await signedUp("token");
  let token;
  let jwks;
  await check("token", async () => {
    const data = expectOk(await agent.call((c) => c.token()), "token");
    exactKeys(data, ["token"], "answer");
    nonEmptyString(data.token, "token");
    eq(data.token.split(".").length, 3, "compact JWS parts");
    token = data.token;
  });
  await check("header-is-alg-and-kid", async () => {
    const header = decodeProtectedHeader(token);
    eq(Object.keys(header), ["alg", "kid"], "header members in order");
    eq(header.alg, "EdDSA", "alg");
    nonEmptyString(header.kid, "kid");
  });
  await check("jwks-keys", async () => {
    jwks = await keySet(agent);
    exactKeys(jwks, ["keys"], "key set");
    for (const key of jwks.keys) {
      eq(Object.keys(key), KEY_MEMBERS, "key members in order");
      eq([key.alg, key.crv, key.kty], ["EdDSA", "Ed25519", "OKP"], "key type");
      assert(!("d" in key), "no private member");
    }
    assert(jwks.keys.some((k) => k.kid === decodeProtectedHeader(token).kid), "the token's kid is in the key set");
  });
  await check("verified-by-jose", async () => {
    const { payload, protectedHeader } = await verify(token, jwks);
    eq(protectedHeader.alg, "EdDSA", "alg");
    eq(payload.sub, user.id, "sub");
  });
  await check("payload-is-the-user", async () => {
    const payload = decodeJwt(token);
    eq(Object.keys(payload), ["iat", ...Object.keys(user), "sub", "exp", "iss", "aud"], "claims in order");
    for (const [name, value] of Object.entries(user)) eq(payload[name], value, `claim ${name}`);
    eq([payload.iss, payload.aud], [BASE, BASE], "iss and aud");
  });
  await check("expires-after-expiration-time", async () => {
    const { iat, exp } = decodeJwt(token);
    eq(exp - iat, LIFETIME, "exp - iat");
    assert(Math.abs(iat - Date.now() / 1000) < 120, `iat ${iat} is now`);
  });
  await check("remote-jwks", async () => {
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${API}/jwks`)), { issuer: BASE, audience: BASE });
    eq(payload.sub, user.id, "sub");
  });
  await check("one-key-signs-again", async () => {
    const again = expectOk(await agent.call((c) => c.token()), "token again").token;
    eq(decodeProtectedHeader(again).kid, decodeProtectedHeader(token).kid, "kid");
    eq((await keySet(agent)).keys.map((k) => k.kid), jwks.keys.map((k) => k.kid), "the same key set");
  });
  await check("each-user-its-own-sub", async () => {
    const other = await signedUp("other");
    const mine = expectOk(await other.agent.call((c) => c.token()), "other's token").token;
    const { payload } = await verify(mine, jwks);
    eq([payload.sub, payload.email], [other.user.id, other.email], "sub and email");
  });
  await check("tampered-token-is-refused", async () => {
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url"));
    claims.sub = "someone-else";
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    await rejects(verify(forged, jwks), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "forged sub");
  });
  await check("other-audience-is-refused", async () => {
    await rejects(verify(token, jwks, { audience: "https://other.example" }), "ERR_JWT_CLAIM_VALIDATION_FAILED", "audience");
  });
};

SCENARIOS["get-session-header"] = async () => {
  const { agent, user } = await signedUp("header");
  let jwt = null;
  let res;
  await check("set-auth-jwt", async () => {
    const r = await agent.call((c) =>
      c.getSession({ fetchOptions: { onSuccess: (ctx) => { jwt = ctx.response.headers.get("set-auth-jwt"); } } }),
    );
    eq(expectOk(r, "get-session").user.id, user.id, "session user");
    nonEmptyString(jwt, "set-auth-jwt");
    res = r.res;
  });
  await check("header-is-exposed", async () => {
    const exposed = (res.headers.get("access-control-expose-headers") || "").split(",").map((s) => s.trim());
    assert(exposed.includes("set-auth-jwt"), `Access-Control-Expose-Headers: ${show(exposed)}`);
  });
  await check("header-token-verifies", async () => {
    const { payload } = await verify(jwt, await keySet(agent));
    eq(payload.sub, user.id, "sub");
    eq(payload.email, user.email, "email");
    eq(payload.exp - payload.iat, LIFETIME, "exp - iat");
  });
  await check("no-session-no-header", async () => {
    const other = new Agent();
    const r = await other.call((c) => c.getSession());
    eq(r.data, null, "session");
    eq(r.res.headers.get("set-auth-jwt"), null, "set-auth-jwt");
  });
};

SCENARIOS.refusals = async () => {
  await check("token-without-session", async () => {
    const r = await new Agent().call((c) => c.token());
    expectError(r, 401, "UNAUTHORIZED", "token");
  });
  await check("token-without-session-body", async () => {
    const raw = await new Agent().raw("GET", "/token");
    eq(raw.status, 401, "status");
    eq(JSON.parse(raw.text), { message: "Unauthorized", code: "UNAUTHORIZED" }, "body");
  });
  await check("token-with-a-forged-cookie", async () => {
    const raw = await new Agent().raw("GET", "/token", { headers: { cookie: `${COOKIE}=forged.c2lnbmF0dXJl; junk=%E0%A4%A` } });
    eq(raw.status, 401, "status");
    eq(JSON.parse(raw.text).code, "UNAUTHORIZED", "code");
  });
  await check("jwks-needs-no-session", async () => {
    const raw = await new Agent().raw("GET", "/jwks?kid=%00&x=<script>", { headers: { cookie: "better-auth.session_token=%%%" } });
    eq(raw.status, 200, "status");
    const keys = JSON.parse(raw.text).keys;
    assert(Array.isArray(keys) && keys.length > 0, `keys: ${raw.text}`);
  });
  await check("no-token-after-sign-out", async () => {
    const { agent } = await signedUp("signout");
    expectOk(await agent.call((c) => c.signOut()), "sign-out");
    expectError(await agent.call((c) => c.token()), 401, "UNAUTHORIZED", "token after sign-out");
  });
};

await runSuite(SCENARIOS);
