// Dynamic access control interop between two servers that share one database and one secret
// (the real better-auth with ORGANIZATION=1 DYNAMIC_ACCESS_CONTROL=1 and our Rust server with
// organization-roles.toml): a role created on either is listed on the other and assignable
// there, a member holding it gets exactly its permissions on both, a change of the role on
// either is enforced by the other, and a role in use cannot be deleted on either.
// Plain HTTP (fetch) with a cookie jar per "browser"; the same browser talks to both servers.
//
// Usage: node organization-roles-interop.mjs --a URL --b URL
// Output: one JSON line per check {"name","ok","detail"}, then a summary line; exit code 1 if a
// check failed, 2 on a usage error.
import crypto from "node:crypto";
import { PASSWORD } from "./lib.mjs";
import { Browser as ServerBrowser, arg, check, expect, expectCode, expectStatus, finish, showAnswer } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
if (!SERVERS.A || !SERVERS.B) {
  console.error("usage: node organization-roles-interop.mjs --a URL --b URL");
  process.exit(2);
}
const RUN = crypto.randomBytes(3).toString("hex");
let n = 0;
const newEmail = (tag) => `rinterop-${RUN}-${++n}-${tag}@example.com`;
const newSlug = (tag) => `rinterop-${RUN}-${++n}-${tag}`;
const other = (s) => (s === "A" ? "B" : "A");
class Browser extends ServerBrowser {
  constructor() {
    super(SERVERS);
  }
}
const show = showAnswer;

async function signUp(server, tag) {
  const browser = new Browser();
  const email = newEmail(tag);
  const r = await browser.call(server, "POST", "/sign-up/email", { body: { email, password: PASSWORD, name: tag } });
  expectStatus(r, 200, `sign-up on ${server}`);
  return { browser, email, id: r.json.user.id };
}

async function may(who, server, org, permissions) {
  const r = await who.browser.call(server, "POST", "/organization/has-permission", { body: { permissions, organizationId: org.id } });
  return expectStatus(r, 200, `has-permission on ${server}`).success;
}

for (const maker of ["A", "B"]) {
  const user = other(maker);
  let owner;
  let member;
  let org;
  let role;

  await check(`role-made-on-${maker}-listed-on-${user}`, async () => {
    owner = await signUp(maker, "owner");
    org = expectStatus(await owner.browser.call(maker, "POST", "/organization/create", { body: { name: "Roles", slug: newSlug("org") } }), 200, "create");
    const made = expectStatus(
      await owner.browser.call(maker, "POST", "/organization/create-role", { body: { role: "Auditor", permission: { project: ["read"], invitation: ["create"] } } }),
      200,
      "create-role",
    );
    role = made.roleData;
    const listed = expectStatus(await owner.browser.call(user, "GET", `/organization/list-roles?organizationId=${org.id}`), 200, "list-roles");
    expect(listed.length === 1 && listed[0].id === role.id && listed[0].role === "auditor", `listed on ${user}: ${JSON.stringify(listed)}`);
    expect(JSON.stringify(listed[0].permission) === JSON.stringify({ project: ["read"], invitation: ["create"] }), `permission on ${user}: ${JSON.stringify(listed[0])}`);
    const got = expectStatus(await owner.browser.call(user, "GET", `/organization/get-role?roleId=${role.id}&organizationId=${org.id}`), 200, "get-role");
    expect(got.role === "auditor", `get-role on ${user}: ${JSON.stringify(got)}`);
    const twice = await owner.browser.call(user, "POST", "/organization/create-role", { body: { role: "auditor", permission: { project: ["read"] }, organizationId: org.id } });
    expectCode(twice, 400, "ROLE_NAME_IS_ALREADY_TAKEN", `the name taken on ${user}`);
  });

  await check(`role-made-on-${maker}-assigned-and-enforced-on-${user}`, async () => {
    member = await signUp(user, "member");
    const inv = expectStatus(
      await owner.browser.call(user, "POST", "/organization/invite-member", { body: { email: member.email, role: "auditor", organizationId: org.id } }),
      200,
      `invite as auditor on ${user}`,
    );
    expectStatus(await member.browser.call(maker, "POST", "/organization/accept-invitation", { body: { invitationId: inv.id } }), 200, `accept on ${maker}`);
    for (const server of ["A", "B"]) {
      expect((await may(member, server, org, { project: ["read"] })) === true, `project:read on ${server}`);
      expect((await may(member, server, org, { project: ["delete"] })) === false, `project:delete on ${server}`);
      expect((await may(member, server, org, { member: ["create"] })) === false, `member:create on ${server}`);
    }
    expectStatus(
      await member.browser.call(user, "POST", "/organization/invite-member", { body: { email: newEmail("x"), role: "member", organizationId: org.id } }),
      200,
      `the auditor invites on ${user}`,
    );
  });

  await check(`role-changed-on-${user}-enforced-on-${maker}`, async () => {
    const updated = expectStatus(
      await owner.browser.call(user, "POST", "/organization/update-role", { body: { roleId: role.id, organizationId: org.id, data: { permission: { project: ["read", "delete"] } } } }),
      200,
      "update-role",
    );
    expect(JSON.stringify(updated.roleData.permission) === JSON.stringify({ project: ["read", "delete"] }), `updated: ${JSON.stringify(updated)}`);
    expect((await may(member, maker, org, { project: ["delete"] })) === true, `project:delete on ${maker}`);
    const refused = await member.browser.call(maker, "POST", "/organization/invite-member", { body: { email: newEmail("y"), role: "member", organizationId: org.id } });
    expectCode(refused, 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", `the auditor invites on ${maker}`);
  });

  await check(`role-in-use-kept-on-both-for-${maker}`, async () => {
    for (const server of ["A", "B"]) {
      const refused = await owner.browser.call(server, "POST", "/organization/delete-role", { body: { roleName: "auditor", organizationId: org.id } });
      expectCode(refused, 400, "ROLE_IS_ASSIGNED_TO_MEMBERS", `delete on ${server}: ${show(refused)}`);
    }
  });

  await check(`role-deleted-on-${maker}-gone-on-${user}`, async () => {
    const members = expectStatus(await owner.browser.call(maker, "GET", `/organization/list-members?organizationId=${org.id}`), 200, "list-members");
    const held = members.members.find((m) => m.userId === member.id);
    expectStatus(await owner.browser.call(user, "POST", "/organization/update-member-role", { body: { memberId: held.id, role: "member", organizationId: org.id } }), 200, "demote");
    expectStatus(await owner.browser.call(maker, "POST", "/organization/delete-role", { body: { roleName: "auditor", organizationId: org.id } }), 200, `delete on ${maker}`);
    const gone = await owner.browser.call(user, "GET", `/organization/get-role?roleName=auditor&organizationId=${org.id}`);
    expectCode(gone, 400, "ROLE_NOT_FOUND", `get-role on ${user}`);
    expect((await may(member, user, org, { project: ["read"] })) === false, `project:read on ${user} after the role is gone`);
  });
}

finish();
