// Admin plugin interop between two servers that share one database and one secret (the real
// better-auth with ADMIN=1 and our Rust server with admin.toml): a role or a ban set by either
// is enforced by the other, an expired ban set by one is lifted by the other, and an
// impersonation started on one is seen, hidden and stopped on the other.
// Plain HTTP (fetch) with a cookie jar per "browser"; the same browser talks to both servers.
//
// Usage: node admin-interop.mjs --a URL --b URL --admin-email E --admin-password P
// The user with --admin-email exists and holds the role `admin`.
// Output: one JSON line per check {"name","ok","detail"}, then a summary line; exit code 1 if a
// check failed, 2 on a usage error.
import crypto from "node:crypto";
import { COOKIE, PASSWORD } from "./lib.mjs";
import { arg, check, expect, finish, request } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
const ADMIN_EMAIL = arg("--admin-email");
const ADMIN_PASSWORD = arg("--admin-password");
if (!SERVERS.A || !SERVERS.B || !ADMIN_EMAIL || !ADMIN_PASSWORD) {
  console.error("usage: node admin-interop.mjs --a URL --b URL --admin-email E --admin-password P");
  process.exit(2);
}
const RUN = crypto.randomBytes(3).toString("hex");
let n = 0;
const newEmail = (tag) => `ainterop-${RUN}-${++n}-${tag}@example.com`;
const other = (s) => (s === "A" ? "B" : "A");

class Browser {
  constructor() {
    this.jar = new Map();
  }
  async call(server, method, path, { body } = {}) {
    const headers = {};
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookie) headers.cookie = cookie;
    const r = await request(`${SERVERS[server]}/api/auth${path}`, method, { body, headers });
    for (const c of r.setCookies) {
      if (c.value === "" || /;\s*max-age=0\b/i.test(c.raw)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return { server, ...r };
  }
}

const show = (r) => `${r.server}: ${r.status} ${r.text.slice(0, 300)}`;
function expectStatus(r, status, what) {
  expect(r.status === status, `${what}: expected ${status}, got ${show(r)}`);
}
function expectCode(r, status, code, what) {
  expectStatus(r, status, what);
  expect(r.json?.code === code, `${what}: expected code ${code}, got ${show(r)}`);
}

async function signIn(server, email, password = PASSWORD) {
  const browser = new Browser();
  const r = await browser.call(server, "POST", "/sign-in/email", { body: { email, password } });
  return { browser, r };
}
async function signUp(server, tag) {
  const browser = new Browser();
  const email = newEmail(tag);
  const r = await browser.call(server, "POST", "/sign-up/email", { body: { email, password: PASSWORD, name: tag } });
  expectStatus(r, 200, `sign-up on ${server}`);
  return { browser, email, id: r.json.user.id };
}
async function admin(server) {
  const { browser, r } = await signIn(server, ADMIN_EMAIL, ADMIN_PASSWORD);
  expectStatus(r, 200, `admin sign-in on ${server}`);
  return { browser, id: r.json.user.id };
}

for (const setter of ["A", "B"]) {
  const enforcer = other(setter);

  await check(`role-set-on-${setter}-enforced-on-${enforcer}`, async () => {
    const { browser: boss } = await admin(setter);
    const user = await signUp(setter, "role");
    expectCode(await user.browser.call(enforcer, "GET", "/admin/list-users"), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "before");
    const set = await boss.call(setter, "POST", "/admin/set-role", { body: { userId: user.id, role: "support" } });
    expectStatus(set, 200, "set-role");
    expectStatus(await user.browser.call(enforcer, "GET", "/admin/list-users?limit=1"), 200, "support lists users");
    expectCode(
      await user.browser.call(enforcer, "POST", "/admin/create-user", { body: { email: newEmail("x"), name: "x" } }),
      403,
      "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS",
      "support creates",
    );
    const asked = await user.browser.call(enforcer, "POST", "/admin/has-permission", { body: { permissions: { report: ["read"] } } });
    expect(asked.json?.success === true, `has-permission report read: ${show(asked)}`);
  });

  await check(`ban-set-on-${setter}-enforced-on-${enforcer}`, async () => {
    const { browser: boss } = await admin(setter);
    const user = await signUp(enforcer, "ban");
    const ban = await boss.call(setter, "POST", "/admin/ban-user", { body: { userId: user.id } });
    expectStatus(ban, 200, "ban");
    expect(ban.json.user.banReason === "Broke the rules", `default reason: ${show(ban)}`);
    const session = await user.browser.call(enforcer, "GET", "/get-session");
    expect(session.status === 200 && session.json === null, `the banned user's session on ${enforcer}: ${show(session)}`);
    const refused = (await signIn(enforcer, user.email)).r;
    expectCode(refused, 403, "BANNED_USER", "sign-in");
    expect(refused.json.message === "You are banned here. Write to support.", `message: ${show(refused)}`);
    const { browser: boss2 } = await admin(enforcer);
    expectStatus(await boss2.call(enforcer, "POST", "/admin/unban-user", { body: { userId: user.id } }), 200, "unban");
    expectStatus((await signIn(setter, user.email)).r, 200, `sign-in on ${setter} after the unban on ${enforcer}`);
  });

  await check(`expired-ban-set-on-${setter}-lifted-on-${enforcer}`, async () => {
    const { browser: boss } = await admin(setter);
    const user = await signUp(setter, "exp");
    const ban = await boss.call(setter, "POST", "/admin/ban-user", { body: { userId: user.id, banExpiresIn: 1 } });
    expectStatus(ban, 200, "ban");
    const until = new Date(ban.json.user.banExpires).getTime();
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 300));
    expectStatus((await signIn(enforcer, user.email)).r, 200, "sign-in after the expiry");
    const got = await boss.call(setter, "GET", `/admin/get-user?id=${user.id}`);
    expect(got.json?.banned === false && got.json?.banExpires === null, `lifted: ${show(got)}`);
  });

  await check(`impersonation-on-${setter}-seen-and-stopped-on-${enforcer}`, async () => {
    const { browser: boss, id: adminId } = await admin(setter);
    const adminCookie = boss.jar.get(COOKIE);
    const user = await signUp(setter, "imp");
    const started = await boss.call(setter, "POST", "/admin/impersonate-user", { body: { userId: user.id } });
    expectStatus(started, 200, "impersonate");
    const token = started.json.session.token;
    const seen = await boss.call(enforcer, "GET", "/get-session");
    expect(seen.json?.user?.id === user.id && seen.json?.session?.impersonatedBy === adminId, `get-session on ${enforcer}: ${show(seen)}`);
    const listed = await boss.call(enforcer, "GET", "/list-sessions");
    expectStatus(listed, 200, "list-sessions");
    expect(!listed.json.some((s) => s.token === token), `list-sessions on ${enforcer} shows the impersonation: ${show(listed)}`);
    const stopped = await boss.call(enforcer, "POST", "/admin/stop-impersonating", { body: {} });
    expectStatus(stopped, 200, "stop-impersonating");
    expect(stopped.json.user.id === adminId, `stopped as the admin: ${show(stopped)}`);
    expect(boss.jar.get(COOKIE) === adminCookie, "the admin's own cookie is back");
    const back = await boss.call(setter, "GET", "/get-session");
    expect(back.json?.user?.id === adminId && !back.json?.session?.impersonatedBy, `the admin on ${setter}: ${show(back)}`);
    const sessions = await boss.call(setter, "POST", "/admin/list-user-sessions", { body: { userId: user.id } });
    expect(!sessions.json.sessions.some((s) => s.token === token), `the impersonation session is gone: ${show(sessions)}`);
  });
}

finish();
