// Conformance suite for better-auth 1.7.25's admin plugin, through its official client plugin
// (`adminClient` from "better-auth/client/plugins").
//
//   node admin.mjs --base-url http://127.0.0.1:PORT --outbox FILE --admin-email E --admin-password P
//                  [--only name,...] [--secret S]
//
// The server is configured like `ADMIN=1 node reference-server.mjs` (and
// crates/auth-cli/tests/conformance/admin.toml): the core configuration of conformance.mjs plus
// admin({impersonationSessionDuration: 600, defaultBanReason: "Broke the rules",
// bannedUserMessage: "You are banned here. Write to support.", roles: admin, user and support
// (user: list, get, ban; report: read) over the default statements plus report: read, export}).
// The user with --admin-email signed up already and holds the role `admin` (the Rust test gives
// it with `auth-cli admin grant`). Every scenario signs up its own users with random addresses,
// so the suite can run repeatedly on one database.
import crypto from "node:crypto";
import { adminClient } from "better-auth/client/plugins";
import {
  COOKIE, DONT_REMEMBER, PASSWORD,
  parseSuiteArgs, runSuite, check, assert, show, eq, exactKeys, expectError, expectOk,
  Agent as BaseAgent, findCookie, checkSignedValue, checkSessionCookie, checkExpiredCookie,
  USER_KEYS as CORE_USER_KEYS, SESSION_KEYS as CORE_SESSION_KEYS,
} from "./lib.mjs";

// This suite's own arguments, taken out before lib.mjs reads the common ones.
const own = {};
for (const key of ["--admin-email", "--admin-password"]) {
  const at = process.argv.indexOf(key);
  if (at > 0) {
    own[key] = process.argv[at + 1];
    process.argv.splice(at, 2);
  }
}
parseSuiteArgs({ script: "admin.mjs" });
if (!own["--admin-email"] || !own["--admin-password"]) {
  console.error("error: --admin-email and --admin-password are required");
  process.exit(2);
}
const ADMIN_EMAIL = own["--admin-email"];
const ADMIN_PASSWORD = own["--admin-password"];

const ADMIN_SESSION = "better-auth.admin_session";
const BANNED_MESSAGE = "You are banned here. Write to support.";
const USER_KEYS = [...CORE_USER_KEYS, "role", "banned", "banReason", "banExpires"];
const SESSION_KEYS = [...CORE_SESSION_KEYS, "impersonatedBy"];
const RUN = crypto.randomBytes(4).toString("hex");
let userCounter = 0;
const newEmail = (label) => `adm-${RUN}-${++userCounter}-${label}@example.com`;

class Agent extends BaseAgent {
  constructor(options = {}) {
    super({ ...options, plugins: [adminClient()] });
  }
}

async function signUp(label) {
  const agent = new Agent();
  const email = newEmail(label);
  const out = await agent.call((c) => c.signUp.email({ email, password: PASSWORD, name: `${label} ${RUN}` }));
  const data = expectOk(out, `sign-up ${label}`);
  return { agent, email, id: data.user.id, user: data.user };
}

async function signIn(email, password = PASSWORD) {
  const agent = new Agent();
  const out = await agent.call((c) => c.signIn.email({ email, password }));
  return { agent, out };
}

async function adminAgent() {
  const { agent, out } = await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  const data = expectOk(out, "admin sign-in");
  eq(data.user.role, "admin", "the admin's role");
  return { agent, id: data.user.id };
}

function checkAdminUser(user, what) {
  exactKeys(user, USER_KEYS, what);
  assert(typeof user.banned === "boolean", `${what}.banned: ${show(user.banned)}`);
}

async function currentUser(agent) {
  const out = await agent.call((c) => c.getSession({ query: { disableCookieCache: true } }));
  return expectOk(out, "get-session")?.user ?? null;
}

const SCENARIOS = {
  // A plain user is refused every admin endpoint; no session is a 401 with an empty body.
  async refusals() {
    const plain = await signUp("plain");
    await check("new-user-has-default-role", () => {
      checkAdminUser(plain.user, "sign-up user");
      eq(plain.user.role, "user", "role");
      eq(plain.user.banned, false, "banned");
    });
    const { agent } = plain;
    await check("list-users-403", async () => {
      expectError(await agent.call((c) => c.admin.listUsers({ query: {} })), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "list-users");
    });
    await check("create-user-403", async () => {
      const out = await agent.call((c) => c.admin.createUser({ email: newEmail("x"), password: PASSWORD, name: "x" }));
      expectError(out, 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "create-user");
    });
    await check("ban-user-403", async () => {
      expectError(await agent.call((c) => c.admin.banUser({ userId: plain.id })), 403, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "ban-user");
    });
    await check("impersonate-403", async () => {
      const out = await agent.call((c) => c.admin.impersonateUser({ userId: plain.id }));
      expectError(out, 403, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS", "impersonate-user");
    });
    await check("set-role-403", async () => {
      const out = await agent.call((c) => c.admin.setRole({ userId: plain.id, role: "admin" }));
      expectError(out, 403, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", "set-role");
      eq((await currentUser(agent)).role, "user", "role after the refusal");
    });
    await check("no-session-401-empty", async () => {
      const res = await new Agent().raw("GET", "/admin/list-users");
      eq(res.status, 401, "status");
      eq(res.text, "", "body");
    });
  },

  // create-user, list-users (search, filter, sort, paging, total), get-user.
  async users() {
    const { agent } = await adminAgent();
    const tag = `lst${RUN}`;
    const created = [];
    await check("create-user", async () => {
      for (const n of [1, 2, 3]) {
        const email = `${tag}-c${n}@example.com`;
        const out = await agent.call((c) => c.admin.createUser({ email, password: PASSWORD, name: `c${n} ${tag}` }));
        const user = expectOk(out, `create c${n}`).user;
        checkAdminUser(user, `created c${n}`);
        eq(user.email, email, "email");
        eq(user.role, "user", "default role");
        created.push(user);
      }
      const { out } = await signIn(created[0].email);
      expectOk(out, "the created user signs in with the password");
    });
    await check("create-user-with-role", async () => {
      const out = await agent.call((c) => c.admin.createUser({ email: newEmail("support"), name: "s", role: "support" }));
      eq(expectOk(out, "create").user.role, "support", "role");
    });
    await check("create-user-duplicate-400", async () => {
      const out = await agent.call((c) => c.admin.createUser({ email: created[0].email, password: PASSWORD, name: "dup" }));
      expectError(out, 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "duplicate");
    });
    await check("create-user-unknown-role-400", async () => {
      const out = await agent.call((c) => c.admin.createUser({ email: newEmail("r"), name: "r", role: "auditor" }));
      expectError(out, 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE", "unknown role");
    });
    await check("list-users-search-sort-limit", async () => {
      const query = { searchValue: tag, searchField: "name", searchOperator: "contains", sortBy: "email", sortDirection: "desc", limit: 2 };
      const data = expectOk(await agent.call((c) => c.admin.listUsers({ query })), "list");
      exactKeys(data, ["users", "total", "limit"], "answer");
      eq(data.total, 3, "total");
      eq(data.limit, 2, "limit");
      eq(data.users.map((u) => u.email), [created[2].email, created[1].email], "first page, email descending");
      checkAdminUser(data.users[0], "listed user");
    });
    await check("list-users-offset", async () => {
      const query = { searchValue: tag, searchField: "name", sortBy: "email", limit: 2, offset: 2 };
      const data = expectOk(await agent.call((c) => c.admin.listUsers({ query })), "list");
      exactKeys(data, ["users", "total", "limit", "offset"], "answer");
      eq(data.offset, 2, "offset");
      eq(data.total, 3, "total");
      eq(data.users.map((u) => u.email), [created[2].email], "second page");
    });
    await check("list-users-starts-with-and-filter", async () => {
      const query = { searchValue: `${tag}-c`, searchField: "email", searchOperator: "starts_with", filterField: "name", filterValue: `c2 ${tag}` };
      const data = expectOk(await agent.call((c) => c.admin.listUsers({ query })), "list");
      exactKeys(data, ["users", "total"], "answer");
      eq(data.users.map((u) => u.email), [created[1].email], "filtered");
      eq(data.total, 1, "total");
    });
    await check("list-users-ends-with", async () => {
      const query = { searchValue: `-c3@example.com`, searchOperator: "ends_with", filterField: "name", filterValue: `c3 ${tag}` };
      const data = expectOk(await agent.call((c) => c.admin.listUsers({ query })), "list");
      eq(data.users.map((u) => u.email), [created[2].email], "ends with");
    });
    await check("get-user", async () => {
      const user = expectOk(await agent.call((c) => c.admin.getUser({ query: { id: created[0].id } })), "get-user");
      checkAdminUser(user, "get-user");
      eq(user.email, created[0].email, "email");
    });
    await check("get-user-404", async () => {
      const out = await agent.call((c) => c.admin.getUser({ query: { id: `missing-${RUN}` } }));
      expectError(out, 404, "USER_NOT_FOUND", "unknown id");
    });
  },

  // set-role, declared roles only, a custom role's grants, has-permission.
  async roles() {
    const { agent } = await adminAgent();
    const target = await signUp("role");
    await check("set-role", async () => {
      const out = await agent.call((c) => c.admin.setRole({ userId: target.id, role: "support" }));
      const user = expectOk(out, "set-role").user;
      checkAdminUser(user, "set-role user");
      eq(user.role, "support", "role");
    });
    await check("set-role-several", async () => {
      const out = await agent.call((c) => c.admin.setRole({ userId: target.id, role: ["user", "support"] }));
      eq(expectOk(out, "set-role").user.role, "user,support", "comma-joined roles");
    });
    await check("set-role-undeclared-400", async () => {
      const out = await agent.call((c) => c.admin.setRole({ userId: target.id, role: "auditor" }));
      expectError(out, 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE", "undeclared role");
    });
    await check("set-role-unknown-user-404", async () => {
      const out = await agent.call((c) => c.admin.setRole({ userId: `missing-${RUN}`, role: "user" }));
      expectError(out, 404, "USER_NOT_FOUND", "unknown user");
    });
    await check("support-may-list-not-create", async () => {
      const ok = await target.agent.call((c) => c.admin.listUsers({ query: { limit: 1 } }));
      expectOk(ok, "support lists users");
      const out = await target.agent.call((c) => c.admin.createUser({ email: newEmail("n"), name: "n" }));
      expectError(out, 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "support creates");
      const role = await target.agent.call((c) => c.admin.setRole({ userId: target.id, role: "admin" }));
      expectError(role, 403, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", "support promotes itself");
    });
    await check("has-permission", async () => {
      const ask = async (who, permissions) =>
        expectOk(await who.call((c) => c.admin.hasPermission({ permissions })), `has-permission ${show(permissions)}`);
      eq(await ask(target.agent, { user: ["list"] }), { error: null, success: true }, "support: user list");
      eq((await ask(target.agent, { user: ["list", "create"] })).success, false, "support: user list+create");
      eq((await ask(target.agent, { report: ["read"] })).success, true, "support: report read");
      eq((await ask(target.agent, { report: ["export"] })).success, false, "support: report export");
      eq((await ask(agent, { user: ["create", "ban"], session: ["revoke"] })).success, true, "admin: user create+ban");
      eq((await ask(agent, { user: ["impersonate-admins"] })).success, false, "admin: impersonate-admins");
      eq((await ask(agent, { report: ["read"] })).success, false, "admin: report read");
    });
  },

  // Bans: sessions revoked, sign-in refused with the configured message, unban, expiry.
  async bans() {
    const { agent, id: adminId } = await adminAgent();
    const target = await signUp("ban");
    await check("ban-user", async () => {
      const out = await agent.call((c) => c.admin.banUser({ userId: target.id, banReason: "spam" }));
      const user = expectOk(out, "ban").user;
      checkAdminUser(user, "banned user");
      eq([user.banned, user.banReason, user.banExpires], [true, "spam", null], "ban fields");
      eq(await currentUser(target.agent), null, "the banned user's session is gone");
    });
    await check("banned-sign-in-403", async () => {
      const { out } = await signIn(target.email);
      const error = expectError(out, 403, "BANNED_USER", "sign-in");
      eq(error.message, BANNED_MESSAGE, "message");
    });
    await check("ban-yourself-400", async () => {
      expectError(await agent.call((c) => c.admin.banUser({ userId: adminId })), 400, "YOU_CANNOT_BAN_YOURSELF", "self");
    });
    await check("unban-user", async () => {
      const user = expectOk(await agent.call((c) => c.admin.unbanUser({ userId: target.id })), "unban").user;
      eq([user.banned, user.banReason, user.banExpires], [false, null, null], "ban fields");
      expectOk((await signIn(target.email)).out, "sign-in after the unban");
    });
    await check("default-reason-and-expiry", async () => {
      const out = await agent.call((c) => c.admin.banUser({ userId: target.id, banExpiresIn: 10 }));
      const user = expectOk(out, "ban").user;
      eq(user.banReason, "Broke the rules", "default reason");
      assert(user.banExpires instanceof Date, `banExpires: ${show(user.banExpires)}`);
      const left = user.banExpires.getTime() - Date.now();
      assert(left > 0 && left <= 10000, `banExpires in ten seconds: ${left} ms`);
      expectError((await signIn(target.email)).out, 403, "BANNED_USER", "sign-in during the ban");
      await new Promise((r) => setTimeout(r, Math.max(0, user.banExpires.getTime() - Date.now()) + 300));
      expectOk((await signIn(target.email)).out, "sign-in once the ban expired");
      const after = expectOk(await agent.call((c) => c.admin.getUser({ query: { id: target.id } })), "get-user");
      eq([after.banned, after.banReason, after.banExpires], [false, null, null], "an expired ban is lifted");
    });
  },

  // Impersonation: a short non-persistent session with impersonatedBy, the admin's session kept
  // in admin_session, hidden from list-sessions, restored by stop-impersonating.
  async impersonation() {
    const { agent, id: adminId } = await adminAgent();
    const adminToken = checkSignedValue(agent.jar.get(COOKIE), "admin session cookie");
    const target = await signUp("imp");
    let impersonation = null;
    await check("impersonate-user", async () => {
      const out = await agent.call((c) => c.admin.impersonateUser({ userId: target.id }));
      const data = expectOk(out, "impersonate");
      exactKeys(data, ["session", "user"], "answer");
      exactKeys(data.session, SESSION_KEYS, "session");
      checkAdminUser(data.user, "user");
      eq(data.session.impersonatedBy, adminId, "impersonatedBy");
      eq(data.session.userId, target.id, "userId");
      const left = data.session.expiresAt.getTime() - Date.now();
      assert(left > 590_000 && left <= 600_000, `expires in 600 s: ${left} ms`);
      impersonation = data.session;
      const res = out.res;
      checkSessionCookie(res, { token: data.session.token, persistent: false, what: "impersonation cookie" });
      checkSignedValue(findCookie(res, DONT_REMEMBER, "dont_remember").value, "dont_remember", "true");
      const kept = findCookie(res, ADMIN_SESSION, "admin_session");
      eq(kept.attrs["max-age"], "604800", "admin_session Max-Age");
      checkSignedValue(kept.value, "admin_session", `${adminToken}:`);
    });
    await check("impersonated-session", async () => {
      const out = await agent.call((c) => c.getSession());
      const data = expectOk(out, "get-session");
      eq(data.user.id, target.id, "the session is the target's");
      eq(data.session.impersonatedBy, adminId, "impersonatedBy");
    });
    await check("list-sessions-hides-impersonation", async () => {
      const sessions = expectOk(await agent.call((c) => c.listSessions()), "list-sessions");
      assert(!sessions.some((s) => s.token === impersonation.token), `impersonation session listed: ${show(sessions)}`);
      const all = expectOk(await (await adminAgent()).agent.call((c) => c.admin.listUserSessions({ userId: target.id })), "list-user-sessions");
      assert(all.sessions.some((s) => s.token === impersonation.token), "list-user-sessions shows it");
    });
    await check("stop-impersonating", async () => {
      const out = await agent.call((c) => c.admin.stopImpersonating());
      const data = expectOk(out, "stop");
      eq(data.session.token, adminToken, "the admin's session is back");
      eq(data.user.id, adminId, "user");
      checkSessionCookie(out.res, { token: adminToken, what: "restored cookie" });
      checkExpiredCookie(out.res, ADMIN_SESSION, "admin_session");
      eq((await currentUser(agent)).id, adminId, "get-session");
      const gone = await agent.call((c) => c.admin.listUserSessions({ userId: target.id }));
      assert(!expectOk(gone, "list").sessions.some((s) => s.token === impersonation.token), "the impersonation session is deleted");
    });
    await check("stop-when-not-impersonating-400", async () => {
      const out = await agent.call((c) => c.admin.stopImpersonating());
      eq(out.error?.status, 400, "status");
      eq(out.error?.code, undefined, "no code");
      eq(out.error?.message, "You are not impersonating anyone", "message");
    });
    await check("impersonate-admin-403", async () => {
      const other = await signUp("adm2");
      expectOk(await agent.call((c) => c.admin.setRole({ userId: other.id, role: "admin" })), "set-role");
      const out = await agent.call((c) => c.admin.impersonateUser({ userId: other.id }));
      expectError(out, 403, "YOU_CANNOT_IMPERSONATE_ADMINS", "impersonate an admin");
      eq((await currentUser(agent)).id, adminId, "the admin is still signed in");
    });
  },

  // Sessions of a user: list, revoke one, revoke all.
  async sessions() {
    const { agent } = await adminAgent();
    const target = await signUp("ses");
    const second = await signIn(target.email);
    await check("list-user-sessions", async () => {
      const data = expectOk(await agent.call((c) => c.admin.listUserSessions({ userId: target.id })), "list");
      eq(data.sessions.length, 2, "two sessions");
      for (const s of data.sessions) exactKeys(s, SESSION_KEYS, "session");
    });
    await check("revoke-user-session", async () => {
      const token = checkSignedValue(second.agent.jar.get(COOKIE), "session cookie");
      eq(expectOk(await agent.call((c) => c.admin.revokeUserSession({ sessionToken: token })), "revoke"), { success: true }, "answer");
      eq(await currentUser(second.agent), null, "the revoked session");
      assert((await currentUser(target.agent)) !== null, "the other session lives");
    });
    await check("revoke-user-sessions", async () => {
      eq(expectOk(await agent.call((c) => c.admin.revokeUserSessions({ userId: target.id })), "revoke all"), { success: true }, "answer");
      eq(await currentUser(target.agent), null, "every session is gone");
    });
  },

  // update-user, set-user-password, remove-user.
  async changes() {
    const { agent, id: adminId } = await adminAgent();
    const target = await signUp("chg");
    await check("update-user", async () => {
      const user = expectOk(await agent.call((c) => c.admin.updateUser({ userId: target.id, data: { name: `renamed ${RUN}` } })), "update");
      checkAdminUser(user, "updated user");
      eq(user.name, `renamed ${RUN}`, "name");
    });
    await check("update-user-refusals", async () => {
      const empty = await agent.call((c) => c.admin.updateUser({ userId: target.id, data: {} }));
      expectError(empty, 400, "NO_DATA_TO_UPDATE", "no data");
      const password = await agent.call((c) => c.admin.updateUser({ userId: target.id, data: { password: "x" } }));
      expectError(password, 400, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER", "password");
      const self = await agent.call((c) => c.admin.updateUser({ userId: adminId, data: { banned: true } }));
      expectError(self, 400, "YOU_CANNOT_BAN_YOURSELF", "ban self");
    });
    await check("set-user-password", async () => {
      const out = await agent.call((c) => c.admin.setUserPassword({ userId: target.id, newPassword: "set-by-admin-1" }));
      eq(expectOk(out, "set-user-password"), { status: true }, "answer");
      expectOk((await signIn(target.email, "set-by-admin-1")).out, "sign-in with the new password");
      expectError((await signIn(target.email)).out, 401, "INVALID_EMAIL_OR_PASSWORD", "the old password");
    });
    await check("remove-user", async () => {
      expectError(await agent.call((c) => c.admin.removeUser({ userId: adminId })), 400, "YOU_CANNOT_REMOVE_YOURSELF", "self");
      eq(expectOk(await agent.call((c) => c.admin.removeUser({ userId: target.id })), "remove"), { success: true }, "answer");
      expectError(await agent.call((c) => c.admin.getUser({ query: { id: target.id } })), 404, "USER_NOT_FOUND", "removed");
      eq(await currentUser(target.agent), null, "the removed user's session");
    });
  },
};

await runSuite(SCENARIOS);
