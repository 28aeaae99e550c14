// Conformance suite for the api-key plugin (`@better-auth/api-key` 1.7.5 with better-auth 1.7.25).
//
//   node api-key.mjs --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...] [--secret S]
//
// Same conventions as plugins.mjs: better-auth's official client (`createAuthClient`) with the
// official `apiKeyClient()` (from "@better-auth/api-key/client") in a Node "browser profile"
// (lib.mjs's Agent); raw `fetch` only where the client has no method (the unrouted
// `/api-key/verify`, exact error bodies).
//
// The server must be configured like `API_KEY=1 node reference-server.mjs`: the core
// configuration of conformance.mjs plus apiKey({ enableSessionForAPIKeys: true,
// keyExpiration: { minExpiresIn: 0 } }) (crates/auth-cli/tests/conformance/api-key.toml).
//
// Server-only fields (`remaining`, refills, per-key rate limits, permissions, `userId`) can only
// be set through better-auth's server API (`auth.api.createApiKey`), never over HTTP: this suite
// checks that both servers refuse them from a client (400 SERVER_ONLY_PROPERTY) and exercises
// the default per-key rate limit (10 uses a day). Quotas (`remaining`) and their exact
// accounting under concurrency are proven by the Rust tests and by api-key-interop.mjs, which
// sets them in the shared database.
import crypto from "node:crypto";
import { apiKeyClient } from "@better-auth/api-key/client";
import {
  COOKIE, PASSWORD, parseSuiteArgs, runSuite, check,
  assert, show, eq, exactKeys, expectError, expectOk, isDate,
  Agent as BaseAgent, findCookie,
} from "./lib.mjs";

parseSuiteArgs({ script: "api-key.mjs" });
const RUN = crypto.randomBytes(4).toString("hex");
let userCounter = 0;
const newEmail = (label) => `key-${RUN}-${++userCounter}-${label}@example.com`.toLowerCase();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Agent extends BaseAgent {
  constructor(options = {}) {
    super({ ...options, plugins: [apiKeyClient()] });
  }
}

// Every field of a key as the API answers it; `key` (the plaintext) only in create's answer.
const KEY_FIELDS = [
  "id", "configId", "name", "start", "referenceId", "prefix", "refillInterval", "refillAmount",
  "lastRefillAt", "enabled", "rateLimitEnabled", "rateLimitTimeWindow", "rateLimitMax",
  "requestCount", "remaining", "lastRequest", "expiresAt", "createdAt", "updatedAt",
  "permissions", "metadata",
];
const SESSION_FIELDS = ["id", "token", "userId", "userAgent", "ipAddress", "createdAt", "updatedAt", "expiresAt"];

async function signUp(label) {
  const agent = new Agent();
  const email = newEmail(label);
  const r = await agent.call((c) => c.signUp.email({ name: `User ${label}`, email, password: PASSWORD }));
  const data = expectOk(r, `sign-up ${email}`);
  findCookie(r.res, COOKIE, "sign-up");
  return { agent, email, user: data.user };
}
async function createKey(agent, body, what) {
  return expectOk(await agent.call((c) => c.apiKey.create(body)), what);
}
// A browser without cookies that sends `key` in x-api-key.
async function withKey(key, fn) {
  const agent = new Agent();
  return agent.call((c) => fn(c, { headers: { "x-api-key": key } }));
}
const sessionWithKey = (key) => withKey(key, (c, fetchOptions) => c.getSession({ fetchOptions }));

function checkKey(k, what, { withKey = false } = {}) {
  exactKeys(k, withKey ? [...KEY_FIELDS, "key"] : KEY_FIELDS, what);
  eq(k.configId, "default", `${what}.configId`);
  eq(typeof k.enabled, "boolean", `${what}.enabled`);
  isDate(k.createdAt, `${what}.createdAt`);
  isDate(k.updatedAt, `${what}.updatedAt`);
}

const SCENARIOS = {};

SCENARIOS["crud"] = async () => {
  const { agent, user } = await signUp("crud");
  let created = null;
  await check("create", async () => {
    created = await createKey(agent, { name: "ci" }, "create");
    checkKey(created, "created", { withKey: true });
    assert(/^[A-Za-z]{64}$/.test(created.key), `key ${show(created.key)} is not 64 letters`);
    eq(created.start, created.key.slice(0, 6), "start");
    eq(created.referenceId, user.id, "referenceId");
    eq(created.name, "ci", "name");
    eq(
      [created.prefix, created.remaining, created.permissions, created.metadata, created.expiresAt, created.lastRequest],
      [null, null, null, null, null, null],
      "prefix, remaining, permissions, metadata, expiresAt, lastRequest",
    );
    eq(
      [created.rateLimitEnabled, created.rateLimitTimeWindow, created.rateLimitMax, created.requestCount],
      [true, 86400000, 10, 0],
      "rate limit defaults",
    );
  });
  await check("create-with-prefix-and-expiry", async () => {
    const k = await createKey(agent, { name: "prefixed", prefix: "ci_", expiresIn: 86400 * 2 }, "create");
    assert(/^ci_[A-Za-z]{64}$/.test(k.key), `key ${show(k.key)} is not ci_ + 64 letters`);
    eq(k.prefix, "ci_", "prefix");
    eq(k.start, k.key.slice(0, 6), "start (the prefix included)");
    isDate(k.expiresAt, "expiresAt");
    const days = (k.expiresAt.getTime() - Date.now()) / 86400000;
    assert(days > 1.99 && days <= 2, `expiresAt ${show(k.expiresAt)} is not two days away`);
  });
  await check("get", async () => {
    const k = expectOk(await agent.call((c) => c.apiKey.get({ query: { id: created.id } })), "get");
    checkKey(k, "got");
    eq(k.id, created.id, "id");
    eq(k.start, created.start, "start");
  });
  await check("list", async () => {
    const all = expectOk(await agent.call((c) => c.apiKey.list()), "list");
    exactKeys(all, ["apiKeys", "total"], "list");
    eq(all.total, 2, "total");
    all.apiKeys.forEach((k, i) => checkKey(k, `apiKeys[${i}]`));
    const page = expectOk(
      await agent.call((c) => c.apiKey.list({ query: { limit: 1, offset: 1, sortBy: "name", sortDirection: "asc" } })),
      "list a page",
    );
    eq([page.total, page.limit, page.offset, page.apiKeys.length], [2, 1, 1, 1], "total, limit, offset, page size");
    eq(page.apiKeys[0].name, "prefixed", "sorted by name: the second");
  });
  await check("update", async () => {
    const renamed = expectOk(await agent.call((c) => c.apiKey.update({ keyId: created.id, name: "renamed" })), "rename");
    checkKey(renamed, "renamed");
    eq(renamed.name, "renamed", "name");
    eq(renamed.updatedAt, created.updatedAt, "updatedAt is not moved by an update");
    const expiring = expectOk(await agent.call((c) => c.apiKey.update({ keyId: created.id, expiresIn: 86400 })), "expiresIn");
    isDate(expiring.expiresAt, "expiresAt");
    const forever = expectOk(await agent.call((c) => c.apiKey.update({ keyId: created.id, expiresIn: null })), "expiresIn null");
    eq(forever.expiresAt, null, "expiresAt cleared");
  });
  await check("delete", async () => {
    eq(expectOk(await agent.call((c) => c.apiKey.delete({ keyId: created.id })), "delete"), { success: true }, "answer");
    expectError(await agent.call((c) => c.apiKey.get({ query: { id: created.id } })), 404, "KEY_NOT_FOUND", "deleted");
    expectError(await agent.call((c) => c.apiKey.delete({ keyId: created.id })), 404, "KEY_NOT_FOUND", "deleted twice");
  });
};

SCENARIOS["refusals"] = async () => {
  const { agent } = await signUp("refusals");
  const other = await signUp("refusals-other");
  const mine = await createKey(agent, { name: "mine" }, "create");
  await check("server-only-properties", async () => {
    for (const body of [{ remaining: 5 }, { rateLimitMax: 100 }, { rateLimitEnabled: false }, { refillAmount: 5, refillInterval: 1000 }, { permissions: { files: ["read"] } }]) {
      const r = expectError(await agent.call((c) => c.apiKey.create(body)), 400, "SERVER_ONLY_PROPERTY", `create ${show(body)}`);
      eq(r.message, "The property you're trying to set can only be set from the server auth instance only.", "message");
    }
    for (const body of [{ remaining: 5 }, { rateLimitMax: 100 }, { permissions: null }]) {
      expectError(await agent.call((c) => c.apiKey.update({ keyId: mine.id, ...body })), 400, "SERVER_ONLY_PROPERTY", `update ${show(body)}`);
    }
    expectError(await agent.call((c) => c.apiKey.create({ userId: other.user.id })), 401, "UNAUTHORIZED_SESSION", "create for another user");
  });
  await check("values", async () => {
    expectError(await agent.call((c) => c.apiKey.create({ metadata: { team: "a" } })), 400, "METADATA_DISABLED", "metadata");
    expectError(await agent.call((c) => c.apiKey.create({ name: "x".repeat(33) })), 400, "INVALID_NAME_LENGTH", "a long name");
    expectError(await agent.call((c) => c.apiKey.create({ prefix: "p".repeat(33) })), 400, "INVALID_PREFIX_LENGTH", "a long prefix");
    expectError(await agent.call((c) => c.apiKey.create({ expiresIn: 86400 * 366 })), 400, "EXPIRES_IN_IS_TOO_LARGE", "over a year");
    expectError(await agent.call((c) => c.apiKey.create({ prefix: "a b" })), 400, "VALIDATION_ERROR", "a prefix with a space");
    expectError(await agent.call((c) => c.apiKey.update({ keyId: mine.id })), 400, "NO_VALUES_TO_UPDATE", "an empty update");
    expectError(await agent.call((c) => c.apiKey.update({ keyId: mine.id, name: "" })), 400, "INVALID_NAME_LENGTH", "an empty name");
  });
  await check("another-users-key-404", async () => {
    const them = other.agent;
    expectError(await them.call((c) => c.apiKey.get({ query: { id: mine.id } })), 404, "KEY_NOT_FOUND", "get");
    expectError(await them.call((c) => c.apiKey.update({ keyId: mine.id, name: "theirs" })), 404, "KEY_NOT_FOUND", "update");
    expectError(await them.call((c) => c.apiKey.delete({ keyId: mine.id })), 404, "KEY_NOT_FOUND", "delete");
    eq(expectOk(await them.call((c) => c.apiKey.list()), "their list").total, 0, "their list is empty");
    eq(expectOk(await agent.call((c) => c.apiKey.get({ query: { id: mine.id } })), "still mine").name, "mine", "untouched");
  });
  await check("without-a-session", async () => {
    const nobody = new Agent();
    expectError(await nobody.call((c) => c.apiKey.create({ name: "x" })), 401, "UNAUTHORIZED_SESSION", "create");
    expectError(await nobody.call((c) => c.apiKey.update({ keyId: mine.id, name: "x" })), 401, "UNAUTHORIZED_SESSION", "update");
    expectError(await nobody.call((c) => c.apiKey.list()), 401, "UNAUTHORIZED", "list");
    expectError(await nobody.call((c) => c.apiKey.get({ query: { id: mine.id } })), 401, "UNAUTHORIZED", "get");
    expectError(await nobody.call((c) => c.apiKey.delete({ keyId: mine.id })), 401, "UNAUTHORIZED", "delete");
  });
  await check("verify-is-server-only", async () => {
    const r = await agent.raw("POST", "/api-key/verify", { body: { key: mine.id } });
    eq([r.status, r.text], [404, ""], "POST /api-key/verify");
  });
};

SCENARIOS["key-as-session"] = async () => {
  const { agent, user, email } = await signUp("session");
  const k = await createKey(agent, { name: "bot" }, "create");
  await check("get-session", async () => {
    const r = await sessionWithKey(k.key);
    const s = expectOk(r, "get-session with x-api-key");
    eq(Object.keys(s), ["user", "session"], "keys, user first");
    exactKeys(s.session, SESSION_FIELDS, "session");
    eq([s.session.id, s.session.token, s.session.userId], [k.id, k.key, user.id], "session id, token, userId");
    eq(s.user.id, user.id, "user.id");
    eq(s.user.email, email, "user.email");
    isDate(s.session.expiresAt, "session.expiresAt");
    eq(r.res.setCookies.length, 0, "no cookie");
  });
  await check("other-endpoints", async () => {
    const listed = expectOk(await withKey(k.key, (c, fetchOptions) => c.apiKey.list({ fetchOptions })), "list with x-api-key");
    eq(listed.total, 1, "the owner's keys");
    eq(listed.apiKeys[0].requestCount, 2, "two uses counted");
    isDate(listed.apiKeys[0].lastRequest, "lastRequest");
    const sessions = expectOk(await withKey(k.key, (c, fetchOptions) => c.listSessions({ fetchOptions })), "list-sessions with x-api-key");
    assert(Array.isArray(sessions) && sessions.length === 1, `list-sessions: ${show(sessions)}`);
  });
  await check("refusals", async () => {
    const short = expectError(await sessionWithKey("short-key"), 403, "INVALID_API_KEY", "a short key");
    eq(short.message, "Invalid API key.", "message");
    expectError(await sessionWithKey("Q".repeat(64)), 401, "INVALID_API_KEY", "an unknown key");
    expectOk(await agent.call((c) => c.apiKey.update({ keyId: k.id, enabled: false })), "disable");
    const disabled = expectError(await sessionWithKey(k.key), 401, "KEY_DISABLED", "a disabled key");
    eq(disabled.message, "API Key is disabled", "message");
    expectOk(await agent.call((c) => c.apiKey.update({ keyId: k.id, enabled: true })), "enable");
    expectOk(await sessionWithKey(k.key), "enabled again");
  });
  await check("expired-key-401-and-deleted", async () => {
    const brief = await createKey(agent, { name: "brief", expiresIn: 1 }, "create");
    await sleep(1200);
    const r = expectError(await sessionWithKey(brief.key), 401, "KEY_EXPIRED", "an expired key");
    eq(r.message, "API Key has expired", "message");
    expectError(await agent.call((c) => c.apiKey.get({ query: { id: brief.id } })), 404, "KEY_NOT_FOUND", "the expired key is deleted");
  });
};

SCENARIOS["rate-limit"] = async () => {
  const { agent } = await signUp("limit");
  const k = await createKey(agent, { name: "limited" }, "create");
  await check("ten-uses-then-429", async () => {
    for (let i = 1; i <= 10; i++) expectOk(await sessionWithKey(k.key), `use ${i}`);
    const r = expectError(await sessionWithKey(k.key), 429, "RATE_LIMITED", "use 11");
    eq(r.message, "Rate limit exceeded.", "message");
    const tryAgainIn = r.details?.tryAgainIn;
    assert(Number.isInteger(tryAgainIn) && tryAgainIn > 86_000_000 && tryAgainIn <= 86_400_000, `details.tryAgainIn ${show(r.details)}`);
    const got = expectOk(await agent.call((c) => c.apiKey.get({ query: { id: k.id } })), "get");
    eq(got.requestCount, 10, "requestCount");
  });
  await check("the-cookie-session-is-not-limited", async () => {
    expectOk(await agent.call((c) => c.apiKey.list()), "list with the cookie");
  });
};

await runSuite(SCENARIOS);
