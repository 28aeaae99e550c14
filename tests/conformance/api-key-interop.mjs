// api-key interop between two servers that share one SQLite database and one secret (the real
// better-auth with API_KEY=1 and our Rust server with crates/auth-cli/tests/conformance/api-key.toml):
// a key created on either authenticates on the other (x-api-key on get-session), uses are counted
// in one row whichever server sees them, a quota (`remaining`) runs out across both, and keys are
// read, renamed and deleted across servers.
//
// Usage: node api-key-interop.mjs --a URL --b URL --db FILE
// `remaining` is a server-only field (better-auth sets it through `auth.api`, never over HTTP):
// this script sets it in the shared database file, as either server's server API would.
// Output: one JSON line per check, then a summary line; exit code 1 if a check failed, 2 on a
// usage error.
import crypto from "node:crypto";
import Database from "better-sqlite3";
import { COOKIE, PASSWORD } from "./lib.mjs";
import { arg, check, expect, finish, request } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
const DB = arg("--db");
if (!SERVERS.A || !SERVERS.B || !DB) {
  console.error("usage: node api-key-interop.mjs --a URL --b URL --db FILE");
  process.exit(2);
}
const RUN = crypto.randomBytes(3).toString("hex");
let n = 0;
const newEmail = (tag) => `kinterop-${RUN}-${++n}-${tag}@example.com`;
const show = (r) => `${r.server}: ${r.status} ${r.text.slice(0, 300)}`;

// One browser (a cookie jar) talking to either server.
class Browser {
  constructor() {
    this.jar = new Map();
  }
  async call(server, method, path, { body, headers = {} } = {}) {
    const h = { ...headers };
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookie) h.cookie = cookie;
    const r = await request(`${SERVERS[server]}/api/auth${path}`, method, { body, headers: h });
    for (const c of r.setCookies) {
      if (c.value === "" || /;\s*max-age=0\b/i.test(c.raw)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return { server, ...r };
  }
}

function expectStatus(r, status, what) {
  expect(r.status === status, `${what}: expected ${status}, got ${show(r)}`);
}
function expectError(r, status, code, what) {
  expectStatus(r, status, what);
  expect(r.json?.code === code, `${what}: expected code ${code}, got ${show(r)}`);
}

async function signUp(server, tag) {
  const browser = new Browser();
  const email = newEmail(tag);
  const r = await browser.call(server, "POST", "/sign-up/email", { body: { email, password: PASSWORD, name: tag } });
  expectStatus(r, 200, `sign-up on ${server}`);
  expect(browser.jar.has(COOKIE), `sign-up on ${server}: no session cookie`);
  return { browser, id: r.json.user.id, email };
}
async function createKey(browser, server, name) {
  const r = await browser.call(server, "POST", "/api-key/create", { body: { name } });
  expectStatus(r, 200, `create on ${server}`);
  expect(/^[A-Za-z]{64}$/.test(r.json.key ?? ""), `create on ${server}: key ${r.json.key}`);
  return r.json;
}
const useKey = (server, key) => new Browser().call(server, "GET", "/get-session", { headers: { "x-api-key": key } });
async function getKey(browser, server, id) {
  const r = await browser.call(server, "GET", `/api-key/get?id=${encodeURIComponent(id)}`);
  expectStatus(r, 200, `get on ${server}`);
  return r.json;
}

const db = new Database(DB, { timeout: 5000 });
const setRemaining = (id, remaining) => db.prepare("update apikey set remaining = ? where id = ?").run(remaining, id);

for (const [from, to] of [["A", "B"], ["B", "A"]]) {
  const dir = `${from}-to-${to}`;
  const owner = await signUp(from, `owner-${dir}`);
  const created = await createKey(owner.browser, from, `key-${dir}`);

  await check(`${dir}.key-authenticates`, async () => {
    const r = await useKey(to, created.key);
    expectStatus(r, 200, `x-api-key on ${to}`);
    expect(r.json?.user?.id === owner.id, `x-api-key on ${to}: user ${show(r)}`);
    expect(r.json?.session?.id === created.id && r.json?.session?.token === created.key, `x-api-key on ${to}: session ${show(r)}`);
    const back = await useKey(from, created.key);
    expectStatus(back, 200, `x-api-key on ${from}`);
  });

  await check(`${dir}.uses-counted-in-one-row`, async () => {
    for (const server of [from, to]) {
      const k = await getKey(owner.browser, server, created.id);
      expect(k.requestCount === 2, `requestCount on ${server}: ${k.requestCount}`);
      expect(k.key === undefined, `get on ${server} shows the key`);
      expect(k.start === created.key.slice(0, 6), `start on ${server}: ${k.start}`);
    }
  });

  await check(`${dir}.quota-runs-out-across-servers`, async () => {
    const quota = await createKey(owner.browser, from, `quota-${dir}`);
    setRemaining(quota.id, 2);
    expectStatus(await useKey(to, quota.key), 200, `first use on ${to}`);
    expect((await getKey(owner.browser, from, quota.id)).remaining === 1, `remaining on ${from} after a use on ${to}`);
    expectStatus(await useKey(from, quota.key), 200, `second use on ${from}`);
    expect((await getKey(owner.browser, to, quota.id)).remaining === 0, `remaining on ${to} after a use on ${from}`);
    expectError(await useKey(to, quota.key), 429, "USAGE_EXCEEDED", `third use on ${to}`);
    expectError(await owner.browser.call(from, "GET", `/api-key/get?id=${quota.id}`), 404, "KEY_NOT_FOUND", `the spent key on ${from}`);
  });

  await check(`${dir}.rate-limit-shared`, async () => {
    const limited = await createKey(owner.browser, from, `limited-${dir}`);
    for (let i = 1; i <= 10; i++) expectStatus(await useKey(i % 2 ? from : to, limited.key), 200, `use ${i}`);
    const r = await useKey(to, limited.key);
    expectError(r, 429, "RATE_LIMITED", `use 11 on ${to}`);
    expect(Number.isInteger(r.json?.details?.tryAgainIn), `tryAgainIn: ${show(r)}`);
  });

  await check(`${dir}.managed-across-servers`, async () => {
    const listed = await owner.browser.call(to, "GET", "/api-key/list");
    expectStatus(listed, 200, `list on ${to}`);
    expect(listed.json.total === 2 && listed.json.apiKeys.every((k) => k.key === undefined), `list on ${to}: ${show(listed)}`);
    const renamed = await owner.browser.call(to, "POST", "/api-key/update", { body: { keyId: created.id, name: "renamed" } });
    expectStatus(renamed, 200, `rename on ${to}`);
    expect((await getKey(owner.browser, from, created.id)).name === "renamed", `the name on ${from}`);
    const disabled = await owner.browser.call(from, "POST", "/api-key/update", { body: { keyId: created.id, enabled: false } });
    expectStatus(disabled, 200, `disable on ${from}`);
    expectError(await useKey(to, created.key), 401, "KEY_DISABLED", `a key disabled on ${from}, used on ${to}`);
    const deleted = await owner.browser.call(to, "POST", "/api-key/delete", { body: { keyId: created.id } });
    expectStatus(deleted, 200, `delete on ${to}`);
    expectError(await owner.browser.call(from, "GET", `/api-key/get?id=${created.id}`), 404, "KEY_NOT_FOUND", `deleted, on ${from}`);
    expectError(await useKey(from, created.key), 401, "INVALID_API_KEY", `a deleted key on ${from}`);
  });
}

db.close();
finish();
