// Conformance suite for the dynamic access control of better-auth 1.7.25's organization plugin
// (roles created per organization, `organizationRole`), through its official client plugin
// (`organizationClient({ dynamicAccessControl: { enabled: true } })`).
//
//   node organization-roles.mjs --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...]
//
// The server is configured like `ORGANIZATION=1 DYNAMIC_ACCESS_CONTROL=1 node
// reference-server.mjs` (crates/auth-cli/tests/conformance/organization-roles.toml): the
// organization suite's options, a statement `project: [read, write, delete]` beside
// better-auth's, the owner granted all of it, and dynamicAccessControl: {enabled: true,
// maximumRolesPerOrganization: 3}. Every scenario signs up its own users.
import crypto from "node:crypto";
import { organizationClient } from "better-auth/client/plugins";
import {
  PASSWORD, parseSuiteArgs, runSuite, check, assert, show, eq, exactKeys, expectError, expectOk,
  Agent as BaseAgent, readOutbox, outboxMark, isDate,
} from "./lib.mjs";

parseSuiteArgs({ script: "organization-roles.mjs" });

const RUN = crypto.randomBytes(4).toString("hex");
let counter = 0;
const newEmail = (label) => `roles-${RUN}-${++counter}-${label}@example.com`;
const newSlug = (label) => `${label}-${RUN}-${++counter}`;

const ROLE_KEYS = ["id", "organizationId", "role", "permission", "createdAt", "updatedAt"];

class Agent extends BaseAgent {
  constructor(options = {}) {
    super({ ...options, plugins: [organizationClient({ dynamicAccessControl: { enabled: true } })] });
  }
}

async function signUp(label) {
  const agent = new Agent();
  const email = newEmail(label);
  const out = await agent.call((c) => c.signUp.email({ email, password: PASSWORD, name: `${label} ${RUN}` }));
  const data = expectOk(out, `sign-up ${label}`);
  return { agent, email, id: data.user.id };
}

async function createOrg(agent, label) {
  const out = await agent.call((c) => c.organization.create({ name: `${label} ${RUN}`, slug: newSlug(label) }));
  return expectOk(out, `create ${label}`);
}

async function invitationMail(since, to) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mail = readOutbox().slice(since).find((m) => m.kind === "invitation" && m.to === to);
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`no invitation mail to ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// `member` joins `org` of `owner` as `role` (invited, then accepted through the mailed id).
async function join(owner, member, org, role) {
  const since = outboxMark();
  const inv = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: member.email, role, organizationId: org.id })), `invite as ${role}`);
  const mail = await invitationMail(since, member.email);
  eq(mail.token, inv.id, "mailed invitation id");
  const accepted = expectOk(await member.agent.call((c) => c.organization.acceptInvitation({ invitationId: inv.id })), "accept");
  return accepted.member;
}

const may = async (who, permissions) =>
  expectOk(await who.agent.call((c) => c.organization.hasPermission({ permissions })), "has-permission").success;

function checkRole(role, what) {
  exactKeys(role, ROLE_KEYS, what);
  isDate(new Date(role.createdAt), `${what}: createdAt`);
  assert(typeof role.permission === "object" && role.permission !== null, `${what}: permission parsed, got ${show(role.permission)}`);
}

const SCENARIOS = {
  // create-role, its refusals, list-roles and get-role.
  async roles() {
    const owner = await signUp("owner");
    const admin = await signUp("admin");
    const plain = await signUp("plain");
    const outsider = await signUp("outsider");
    const org = await createOrg(owner.agent, "roles");
    await join(owner, admin, org, "admin");
    await join(owner, plain, org, "member");
    let editor;
    await check("create-role", async () => {
      const out = expectOk(await owner.agent.call((c) => c.organization.createRole({ role: "Editor", permission: { project: ["read", "write"], member: ["create"] } })), "create");
      exactKeys(out, ["success", "roleData", "statements"], "answer");
      eq(out.success, true, "success");
      eq(out.statements, { project: ["read", "write"], member: ["create"] }, "statements");
      editor = out.roleData;
      checkRole(editor, "roleData");
      eq(editor.updatedAt, null, "never updated");
      eq(editor.role, "editor", "the name, lower-cased");
      eq(editor.organizationId, org.id, "the active organization");
      eq(editor.permission, { project: ["read", "write"], member: ["create"] }, "permission");
    });
    await check("create-role-refusals", async () => {
      const predefined = await owner.agent.call((c) => c.organization.createRole({ role: "Admin", permission: { project: ["read"] } }));
      expectError(predefined, 400, "ROLE_NAME_IS_ALREADY_TAKEN", "a declared role's name");
      const twice = await owner.agent.call((c) => c.organization.createRole({ role: "editor", permission: { project: ["read"] } }));
      expectError(twice, 400, "ROLE_NAME_IS_ALREADY_TAKEN", "a stored role's name");
      const resource = await owner.agent.call((c) => c.organization.createRole({ role: "pilot", permission: { spaceship: ["fly"] } }));
      expectError(resource, 400, "INVALID_RESOURCE", "an undeclared resource");
      const action = await owner.agent.call((c) => c.organization.createRole({ role: "pilot", permission: { project: ["fly"] } }));
      const refused = expectError(action, 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE", "an undeclared action");
      eq(refused.missingPermissions, ["project:fly"], "missingPermissions");
      const escalate = await admin.agent.call((c) => c.organization.createRole({ role: "deleter", permission: { organization: ["delete"], project: ["read"] }, organizationId: org.id }));
      const missing = expectError(escalate, 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE", "granting what the admin lacks");
      eq(missing.missingPermissions, ["organization:delete", "project:read"], "the admin's missing permissions");
      const byMember = await plain.agent.call((c) => c.organization.createRole({ role: "pilot", permission: { project: ["read"] } }));
      expectError(byMember, 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE", "a member");
      const byOutsider = await outsider.agent.call((c) => c.organization.createRole({ role: "pilot", permission: { project: ["read"] }, organizationId: org.id }));
      expectError(byOutsider, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "an outsider");
      const noOrg = await outsider.agent.call((c) => c.organization.createRole({ role: "pilot", permission: { project: ["read"] } }));
      expectError(noOrg, 400, "YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE", "no active organization");
    });
    await check("maximum-roles-per-organization", async () => {
      for (const name of ["reader", "writer"]) {
        expectOk(await owner.agent.call((c) => c.organization.createRole({ role: name, permission: { project: ["read"] } })), name);
      }
      const fourth = await owner.agent.call((c) => c.organization.createRole({ role: "fourth", permission: { project: ["read"] } }));
      expectError(fourth, 400, "TOO_MANY_ROLES", "a fourth role");
    });
    await check("list-roles", async () => {
      const list = expectOk(await owner.agent.call((c) => c.organization.listRoles()), "list");
      eq(list.map((r) => r.role).sort(), ["editor", "reader", "writer"], "names");
      for (const r of list) checkRole(r, `listed ${r.role}`);
      eq(list.find((r) => r.role === "editor").permission, { project: ["read", "write"], member: ["create"] }, "parsed permission");
      const byMember = expectOk(await plain.agent.call((c) => c.organization.listRoles({ query: { organizationId: org.id } })), "a member (ac:read)");
      eq(byMember.length, 3, "a member sees them");
      const byOutsider = await outsider.agent.call((c) => c.organization.listRoles({ query: { organizationId: org.id } }));
      expectError(byOutsider, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "an outsider");
    });
    await check("get-role", async () => {
      const byName = expectOk(await owner.agent.call((c) => c.organization.getRole({ query: { roleName: "editor" } })), "by name");
      checkRole(byName, "by name");
      eq(byName.id, editor.id, "id");
      const byId = expectOk(await plain.agent.call((c) => c.organization.getRole({ query: { roleId: editor.id, organizationId: org.id } })), "by id");
      eq(byId.role, "editor", "by id");
      const unknown = await owner.agent.call((c) => c.organization.getRole({ query: { roleName: "ghost" } }));
      expectError(unknown, 400, "ROLE_NOT_FOUND", "unknown");
      const byOutsider = await outsider.agent.call((c) => c.organization.getRole({ query: { roleName: "editor", organizationId: org.id } }));
      expectError(byOutsider, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "an outsider");
    });
  },

  // A member with a stored role gets exactly its permissions, everywhere; update and delete.
  async enforcement() {
    const owner = await signUp("owner");
    const editorUser = await signUp("editor");
    const newcomer = await signUp("newcomer");
    const other = await signUp("other");
    const org = await createOrg(owner.agent, "enforce");
    expectOk(await owner.agent.call((c) => c.organization.createRole({ role: "recruiter", permission: { project: ["read", "write"], invitation: ["create"] } })), "create recruiter");
    let editorMember;
    await check("invite-with-a-stored-role", async () => {
      editorMember = await join(owner, editorUser, org, "recruiter");
      eq(editorMember.role, "recruiter", "role");
      const ghost = await owner.agent.call((c) => c.organization.inviteMember({ email: newEmail("ghost"), role: "ghost" }));
      expectError(ghost, 400, undefined, "an unknown role");
      assert(ghost.error.message.includes("ghost"), `names the unknown role: ${show(ghost.error)}`);
    });
    await check("has-permission", async () => {
      eq(await may(editorUser, { project: ["read", "write"] }), true, "project read+write");
      eq(await may(editorUser, { invitation: ["create"] }), true, "invite");
      eq(await may(editorUser, { project: ["delete"] }), false, "project delete");
      eq(await may(editorUser, { member: ["delete"] }), false, "member delete");
      eq(await may(editorUser, { ac: ["read"] }), false, "ac read (not granted)");
    });
    await check("organization-checks", async () => {
      const since = outboxMark();
      const inv = expectOk(await editorUser.agent.call((c) => c.organization.inviteMember({ email: newcomer.email, role: "member" })), "the recruiter invites");
      await invitationMail(since, newcomer.email);
      const list = expectOk(await editorUser.agent.call((c) => c.organization.listInvitations()), "the recruiter lists invitations");
      assert(list.some((i) => i.id === inv.id), "listed");
      const cancel = await editorUser.agent.call((c) => c.organization.cancelInvitation({ invitationId: inv.id }));
      expectError(cancel, 403, "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION", "cancel (not granted)");
      expectOk(await owner.agent.call((c) => c.organization.cancelInvitation({ invitationId: inv.id })), "the owner cancels");
      const update = await editorUser.agent.call((c) => c.organization.update({ data: { name: "taken over" } }));
      expectError(update, 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION", "update the organization");
      const roles = await editorUser.agent.call((c) => c.organization.listRoles());
      expectError(roles, 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE", "list-roles without ac:read");
    });
    await check("update-member-role-to-a-stored-role", async () => {
      const joined = await join(owner, newcomer, org, "member");
      eq(await may(newcomer, { project: ["read"] }), false, "a member reads no project");
      const updated = expectOk(await owner.agent.call((c) => c.organization.updateMemberRole({ memberId: joined.id, role: "recruiter" })), "update");
      eq(updated.role, "recruiter", "role");
      eq(await may(newcomer, { project: ["read"] }), true, "now the recruiter's");
      const ghost = await owner.agent.call((c) => c.organization.updateMemberRole({ memberId: joined.id, role: "ghost" }));
      expectError(ghost, 400, "ROLE_NOT_FOUND", "an unknown role");
    });
    await check("update-role", async () => {
      const out = expectOk(await owner.agent.call((c) => c.organization.updateRole({ roleName: "recruiter", data: { permission: { project: ["read", "delete"] } } })), "update");
      exactKeys(out, ["success", "roleData"], "answer");
      eq(out.roleData.permission, { project: ["read", "delete"] }, "new permission");
      eq(out.roleData.role, "recruiter", "name");
      eq(await may(editorUser, { project: ["delete"] }), true, "delete now");
      eq(await may(editorUser, { project: ["write"] }), false, "write no more");
      eq(await may(editorUser, { invitation: ["create"] }), false, "invite no more");
      const resource = await owner.agent.call((c) => c.organization.updateRole({ roleName: "recruiter", data: { permission: { spaceship: ["fly"] } } }));
      expectError(resource, 400, "INVALID_RESOURCE", "an undeclared resource");
      const predefined = await owner.agent.call((c) => c.organization.updateRole({ roleName: "recruiter", data: { roleName: "Owner" } }));
      expectError(predefined, 400, "ROLE_NAME_IS_ALREADY_TAKEN", "renamed to a declared role");
      const byMember = await editorUser.agent.call((c) => c.organization.updateRole({ roleName: "recruiter", data: { permission: { project: ["read", "write", "delete"] } } }));
      expectError(byMember, 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE", "the role's holder");
      const unknown = await owner.agent.call((c) => c.organization.updateRole({ roleName: "ghost", data: { permission: { project: ["read"] } } }));
      expectError(unknown, 400, "ROLE_NOT_FOUND", "unknown");
    });
    await check("other-organizations-roles", async () => {
      const otherOrg = await createOrg(other.agent, "other");
      const read = await other.agent.call((c) => c.organization.getRole({ query: { roleName: "recruiter", organizationId: org.id } }));
      expectError(read, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "read another organization's role");
      const write = await other.agent.call((c) => c.organization.updateRole({ roleName: "recruiter", organizationId: org.id, data: { permission: { project: ["read"] } } }));
      expectError(write, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "update another organization's role");
      const own = await other.agent.call((c) => c.organization.getRole({ query: { roleName: "recruiter", organizationId: otherOrg.id } }));
      expectError(own, 400, "ROLE_NOT_FOUND", "a role is its organization's only");
      const invite = await other.agent.call((c) => c.organization.inviteMember({ email: newEmail("x"), role: "recruiter", organizationId: otherOrg.id }));
      expectError(invite, 400, undefined, "another organization's role name");
    });
    await check("delete-role", async () => {
      const inUse = await owner.agent.call((c) => c.organization.deleteRole({ roleName: "recruiter" }));
      expectError(inUse, 400, "ROLE_IS_ASSIGNED_TO_MEMBERS", "a role in use");
      const predefined = await owner.agent.call((c) => c.organization.deleteRole({ roleName: "owner" }));
      expectError(predefined, 400, "CANNOT_DELETE_A_PRE_DEFINED_ROLE", "a declared role");
      const byMember = await editorUser.agent.call((c) => c.organization.deleteRole({ roleName: "recruiter" }));
      expectError(byMember, 403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE", "the role's holder");
      const members = expectOk(await owner.agent.call((c) => c.organization.listMembers()), "members");
      eq(members.members.filter((m) => m.role === "recruiter").map((m) => m.id).sort(), [editorMember.id, members.members.find((m) => m.userId === newcomer.id).id].sort(), "the role's holders");
      for (const m of members.members.filter((m) => m.role === "recruiter")) {
        expectOk(await owner.agent.call((c) => c.organization.updateMemberRole({ memberId: m.id, role: "member" })), "demote");
      }
      const role = expectOk(await owner.agent.call((c) => c.organization.getRole({ query: { roleName: "recruiter" } })), "get");
      eq(expectOk(await owner.agent.call((c) => c.organization.deleteRole({ roleId: role.id })), "delete"), { success: true }, "deleted");
      const gone = await owner.agent.call((c) => c.organization.getRole({ query: { roleName: "recruiter" } }));
      expectError(gone, 400, "ROLE_NOT_FOUND", "gone");
      const again = await owner.agent.call((c) => c.organization.deleteRole({ roleName: "recruiter" }));
      expectError(again, 400, "ROLE_NOT_FOUND", "deleted twice");
    });
  },
};

await runSuite(SCENARIOS);
