// Conformance suite for better-auth 1.7.25's organization plugin, through its official client
// plugin (`organizationClient` from "better-auth/client/plugins").
//
//   node organization.mjs --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...] [--secret S]
//
// The server is configured like `ORGANIZATION=1 node reference-server.mjs` (and
// crates/auth-cli/tests/conformance/organization.toml): the core configuration of conformance.mjs
// plus organization({organizationLimit: 3, membershipLimit: 3, invitationLimit: 4,
// invitationExpiresIn: 3600, sendInvitationEmail}) whose mail is one outbox line
// {"kind":"invitation","to","token":<invitation id>,…}. Every scenario signs up its own users
// with random addresses, so the suite can run repeatedly on one database.
import crypto from "node:crypto";
import { organizationClient } from "better-auth/client/plugins";
import {
  PASSWORD, parseSuiteArgs, runSuite, check, assert, show, eq, exactKeys, expectError, expectOk,
  Agent as BaseAgent, readOutbox, outboxMark, isDate,
} from "./lib.mjs";

parseSuiteArgs({ script: "organization.mjs" });

const RUN = crypto.randomBytes(4).toString("hex");
let counter = 0;
const newEmail = (label) => `org-${RUN}-${++counter}-${label}@example.com`;
const newSlug = (label) => `${label}-${RUN}-${++counter}`;

const ORG_KEYS = ["id", "name", "slug", "logo", "createdAt", "metadata"];
const MEMBER_KEYS = ["id", "organizationId", "userId", "role", "createdAt"];
const INVITATION_KEYS = ["id", "organizationId", "email", "role", "status", "expiresAt", "createdAt", "inviterId"];
const MEMBER_USER_KEYS = ["id", "name", "email", "image"];

class Agent extends BaseAgent {
  constructor(options = {}) {
    super({ ...options, plugins: [organizationClient()] });
  }
}

async function signUp(label) {
  const agent = new Agent();
  const email = newEmail(label);
  const out = await agent.call((c) => c.signUp.email({ email, password: PASSWORD, name: `${label} ${RUN}` }));
  const data = expectOk(out, `sign-up ${label}`);
  return { agent, email, id: data.user.id };
}

async function activeOrganization(agent) {
  const out = await agent.call((c) => c.getSession({ query: { disableCookieCache: true } }));
  return expectOk(out, "get-session")?.session?.activeOrganizationId ?? null;
}

async function createOrg(agent, label, extra = {}) {
  const out = await agent.call((c) => c.organization.create({ name: `${label} ${RUN}`, slug: newSlug(label), ...extra }));
  return expectOk(out, `create ${label}`);
}

// The invitation mail to `to` sent since `since`, waiting for the mail queue.
async function invitationMail(since, to) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mail = readOutbox().slice(since).find((m) => m.kind === "invitation" && m.to === to);
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`no invitation mail to ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// An organization of `owner` with `member` in it (invited and accepted) as `role`.
async function withMember(owner, member, role = "member") {
  const org = await createOrg(owner.agent, "team");
  const inv = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: member.email, role, organizationId: org.id })), "invite");
  expectOk(await member.agent.call((c) => c.organization.acceptInvitation({ invitationId: inv.id })), "accept");
  return org;
}

const SCENARIOS = {
  // create, check-slug, list, set-active, update, get-full-organization, delete.
  async organizations() {
    const owner = await signUp("owner");
    const { agent } = owner;
    let first;
    await check("create", async () => {
      first = await createOrg(agent, "acme");
      exactKeys(first, ["id", "name", "slug", "logo", "createdAt", "members"], "created organization");
      eq(first.logo, null, "logo");
      isDate(new Date(first.createdAt), "createdAt");
      eq(first.members.length, 1, "one member");
      exactKeys(first.members[0], MEMBER_KEYS, "creator");
      eq(first.members[0].role, "owner", "creator role");
      eq(first.members[0].userId, owner.id, "creator");
      eq(await activeOrganization(agent), first.id, "the new organization is active");
    });
    let second;
    await check("create-with-metadata-keeps-active", async () => {
      second = await createOrg(agent, "meta", { metadata: { plan: "pro", seats: 3 }, logo: "https://example.com/logo.png", keepCurrentActiveOrganization: true });
      eq(second.metadata, { plan: "pro", seats: 3 }, "metadata");
      eq(second.logo, "https://example.com/logo.png", "logo");
      eq(await activeOrganization(agent), first.id, "still the first");
    });
    await check("check-slug", async () => {
      expectError(await agent.call((c) => c.organization.checkSlug({ slug: first.slug })), 400, "ORGANIZATION_SLUG_ALREADY_TAKEN", "taken");
      eq(expectOk(await agent.call((c) => c.organization.checkSlug({ slug: newSlug("free") })), "free"), { status: true }, "free");
    });
    await check("create-duplicate-slug-400", async () => {
      const out = await agent.call((c) => c.organization.create({ name: "copy", slug: first.slug }));
      expectError(out, 400, "ORGANIZATION_ALREADY_EXISTS", "duplicate");
    });
    await check("list", async () => {
      const list = expectOk(await agent.call((c) => c.organization.list()), "list");
      eq(list.map((o) => o.id).sort(), [first.id, second.id].sort(), "ids");
      for (const o of list) exactKeys(o, ORG_KEYS, "listed organization");
    });
    await check("set-active", async () => {
      const org = expectOk(await agent.call((c) => c.organization.setActive({ organizationId: second.id })), "set-active");
      exactKeys(org, ORG_KEYS, "active organization");
      eq(org.id, second.id, "id");
      eq(await activeOrganization(agent), second.id, "session");
      const bySlug = expectOk(await agent.call((c) => c.organization.setActive({ organizationSlug: first.slug })), "by slug");
      eq(bySlug.id, first.id, "by slug");
      eq(bySlug.metadata, null, "metadata");
      eq(expectOk(await agent.call((c) => c.organization.setActive({ organizationId: null })), "clear"), null, "cleared");
      eq(await activeOrganization(agent), null, "session cleared");
      expectOk(await agent.call((c) => c.organization.setActive({ organizationId: first.id })), "again");
    });
    await check("update", async () => {
      const out = await agent.call((c) => c.organization.update({ data: { name: `renamed ${RUN}`, metadata: { tier: 2 } } }));
      const org = expectOk(out, "update");
      eq(org.id, first.id, "the active organization");
      eq(org.name, `renamed ${RUN}`, "name");
      eq(org.metadata, { tier: 2 }, "metadata");
      const taken = await agent.call((c) => c.organization.update({ data: { slug: second.slug }, organizationId: first.id }));
      expectError(taken, 400, "ORGANIZATION_SLUG_ALREADY_TAKEN", "slug taken");
    });
    await check("get-full-organization", async () => {
      const full = expectOk(await agent.call((c) => c.organization.getFullOrganization()), "get-full");
      exactKeys(full, [...ORG_KEYS, "members", "invitations"], "full organization");
      eq(full.id, first.id, "the active one");
      eq(full.members.length, 1, "members");
      exactKeys(full.members[0], [...MEMBER_KEYS, "user"], "member");
      exactKeys(full.members[0].user, MEMBER_USER_KEYS, "member.user");
      eq(full.members[0].user.email, owner.email, "member email");
      eq(full.invitations, [], "invitations");
    });
    const outsider = await signUp("outsider");
    await check("outsider-refused", async () => {
      const read = await outsider.agent.call((c) => c.organization.getFullOrganization({ query: { organizationId: first.id } }));
      expectError(read, 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "get-full");
      const active = await outsider.agent.call((c) => c.organization.setActive({ organizationId: first.id }));
      expectError(active, 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "set-active");
      const update = await outsider.agent.call((c) => c.organization.update({ data: { name: "x" }, organizationId: first.id }));
      expectError(update, 400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "update");
      const del = await outsider.agent.call((c) => c.organization.delete({ organizationId: first.id }));
      expectError(del, 400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "delete");
      const members = await outsider.agent.call((c) => c.organization.listMembers({ query: { organizationId: first.id } }));
      expectError(members, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "list-members");
      eq(expectOk(await outsider.agent.call((c) => c.organization.list()), "list"), [], "the outsider's list");
    });
    await check("no-session-401", async () => {
      const res = await new Agent().raw("GET", "/organization/list");
      eq(res.status, 401, "status");
    });
    await check("organization-limit", async () => {
      await createOrg(agent, "third");
      const out = await agent.call((c) => c.organization.create({ name: "fourth", slug: newSlug("fourth") }));
      expectError(out, 403, "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS", "fourth");
    });
    await check("delete", async () => {
      expectOk(await agent.call((c) => c.organization.setActive({ organizationId: first.id })), "set-active");
      const deleted = expectOk(await agent.call((c) => c.organization.delete({ organizationId: first.id })), "delete");
      exactKeys(deleted, ORG_KEYS, "deleted organization");
      eq(deleted.id, first.id, "id");
      eq(await activeOrganization(agent), null, "no longer active");
      const list = expectOk(await agent.call((c) => c.organization.list()), "list");
      assert(!list.some((o) => o.id === first.id), `still listed: ${show(list)}`);
      const again = await agent.call((c) => c.organization.getFullOrganization({ query: { organizationId: first.id } }));
      expectError(again, 400, "ORGANIZATION_NOT_FOUND", "gone");
    });
  },

  // invite-member (mail), resend, get/list, accept (once), reject, cancel, limits, refusals.
  async invitations() {
    const owner = await signUp("inviter");
    const org = await createOrg(owner.agent, "inv");
    const invitee = await signUp("invitee");
    const since = outboxMark();
    let invitation;
    await check("invite", async () => {
      const email = invitee.email.toUpperCase();
      invitation = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email, role: "member" })), "invite");
      exactKeys(invitation, INVITATION_KEYS, "invitation");
      eq(invitation.email, invitee.email, "email lower-cased");
      eq(invitation.status, "pending", "status");
      eq(invitation.organizationId, org.id, "the active organization");
      eq(invitation.inviterId, owner.id, "inviter");
      const lifetime = new Date(invitation.expiresAt) - new Date(invitation.createdAt);
      assert(Math.abs(lifetime - 3600_000) < 2000, `expires in 3600 s: ${lifetime} ms`);
    });
    await check("invitation-mail", async () => {
      const mail = await invitationMail(since, invitee.email);
      eq(mail.token, invitation.id, "the token is the invitation id");
    });
    await check("invite-twice-400", async () => {
      const out = await owner.agent.call((c) => c.organization.inviteMember({ email: invitee.email, role: "member" }));
      expectError(out, 400, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION", "twice");
    });
    await check("resend", async () => {
      const mark = outboxMark();
      const again = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: invitee.email, role: "member", resend: true })), "resend");
      eq(again.id, invitation.id, "the same invitation");
      assert(new Date(again.expiresAt) >= new Date(invitation.expiresAt), "expiry renewed");
      eq((await invitationMail(mark, invitee.email)).token, invitation.id, "mailed again");
    });
    await check("unknown-role-400", async () => {
      const out = await owner.agent.call((c) => c.organization.inviteMember({ email: newEmail("x"), role: "emperor" }));
      expectError(out, 400, undefined, "unknown role");
      eq(out.error.message, "ROLE_NOT_FOUND: emperor", "message");
    });
    const stranger = await signUp("stranger");
    await check("not-the-recipient-403", async () => {
      const out = await stranger.agent.call((c) => c.organization.acceptInvitation({ invitationId: invitation.id }));
      expectError(out, 403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION", "accept");
      const get = await stranger.agent.call((c) => c.organization.getInvitation({ query: { id: invitation.id } }));
      expectError(get, 403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION", "get");
      const cancel = await stranger.agent.call((c) => c.organization.cancelInvitation({ invitationId: invitation.id }));
      expectError(cancel, 400, "MEMBER_NOT_FOUND", "cancel");
    });
    await check("get-invitation", async () => {
      const got = expectOk(await invitee.agent.call((c) => c.organization.getInvitation({ query: { id: invitation.id } })), "get");
      exactKeys(got, [...INVITATION_KEYS, "organizationName", "organizationSlug", "inviterEmail"], "invitation");
      eq(got.organizationSlug, org.slug, "slug");
      eq(got.inviterEmail, owner.email, "inviter");
    });
    await check("list-invitations", async () => {
      const list = expectOk(await owner.agent.call((c) => c.organization.listInvitations()), "list");
      eq(list.map((i) => i.id), [invitation.id], "ids");
    });
    await check("list-user-invitations-unverified-403", async () => {
      const out = await invitee.agent.call((c) => c.organization.listUserInvitations());
      expectError(out, 403, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION", "unverified");
    });
    await check("accept", async () => {
      const out = expectOk(await invitee.agent.call((c) => c.organization.acceptInvitation({ invitationId: invitation.id })), "accept");
      exactKeys(out, ["invitation", "member"], "answer");
      exactKeys(out.invitation, INVITATION_KEYS, "invitation");
      eq(out.invitation.status, "accepted", "status");
      exactKeys(out.member, MEMBER_KEYS, "member");
      eq(out.member.role, "member", "role");
      eq(out.member.userId, invitee.id, "user");
      eq(await activeOrganization(invitee.agent), org.id, "the organization is active");
    });
    await check("accept-at-most-once", async () => {
      const out = await invitee.agent.call((c) => c.organization.acceptInvitation({ invitationId: invitation.id }));
      expectError(out, 400, "INVITATION_NOT_FOUND", "again");
    });
    await check("invite-existing-member-400", async () => {
      const out = await owner.agent.call((c) => c.organization.inviteMember({ email: invitee.email, role: "admin" }));
      expectError(out, 400, "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION", "member");
    });
    await check("member-may-not-invite-403", async () => {
      const out = await invitee.agent.call((c) => c.organization.inviteMember({ email: newEmail("y"), role: "member" }));
      expectError(out, 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", "member invites");
      const list = await invitee.agent.call((c) => c.organization.listInvitations());
      expectError(list, 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS", "member lists");
    });
    await check("admin-may-not-invite-owner-403", async () => {
      const admin = await signUp("admin");
      const team = await withMember(owner, admin, "admin");
      const out = await admin.agent.call((c) => c.organization.inviteMember({ email: newEmail("z"), role: "owner", organizationId: team.id }));
      expectError(out, 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE", "owner role");
      expectOk(await admin.agent.call((c) => c.organization.inviteMember({ email: newEmail("z"), role: "member", organizationId: team.id })), "member role");
    });
    await check("reject", async () => {
      const other = await signUp("rejecter");
      const inv = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: other.email, role: "member", organizationId: org.id })), "invite");
      const out = expectOk(await other.agent.call((c) => c.organization.rejectInvitation({ invitationId: inv.id })), "reject");
      eq(out.invitation.status, "rejected", "status");
      eq(out.member, null, "member");
      const accept = await other.agent.call((c) => c.organization.acceptInvitation({ invitationId: inv.id }));
      expectError(accept, 400, "INVITATION_NOT_FOUND", "accept after reject");
    });
    await check("cancel", async () => {
      const other = await signUp("canceled");
      const inv = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: other.email, role: "member", organizationId: org.id })), "invite");
      const refused = await invitee.agent.call((c) => c.organization.cancelInvitation({ invitationId: inv.id }));
      expectError(refused, 403, "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION", "member cancels");
      const canceled = expectOk(await owner.agent.call((c) => c.organization.cancelInvitation({ invitationId: inv.id })), "cancel");
      eq(canceled.status, "canceled", "status");
      const accept = await other.agent.call((c) => c.organization.acceptInvitation({ invitationId: inv.id }));
      expectError(accept, 400, "INVITATION_NOT_FOUND", "accept after cancel");
    });
    await check("invitation-limit", async () => {
      const limited = await createOrg(owner.agent, "limit");
      for (let i = 0; i < 4; i++) {
        expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: newEmail(`l${i}`), role: "member", organizationId: limited.id })), `invite ${i}`);
      }
      const out = await owner.agent.call((c) => c.organization.inviteMember({ email: newEmail("l5"), role: "member", organizationId: limited.id }));
      expectError(out, 403, "INVITATION_LIMIT_REACHED", "fifth");
    });
    await check("membership-limit", async () => {
      // org has the owner and the invitee; a third joins, a fourth is refused (limit 3).
      const third = await signUp("third");
      const fourth = await signUp("fourth");
      const a = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: third.email, role: "member", organizationId: org.id })), "invite third");
      const b = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: fourth.email, role: "member", organizationId: org.id })), "invite fourth");
      expectOk(await third.agent.call((c) => c.organization.acceptInvitation({ invitationId: a.id })), "third accepts");
      const out = await fourth.agent.call((c) => c.organization.acceptInvitation({ invitationId: b.id }));
      expectError(out, 403, "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED", "fourth accepts");
    });
  },

  // list-members, active member and role, update-member-role, has-permission, leave, remove.
  async members() {
    const owner = await signUp("boss");
    const admin = await signUp("deputy");
    const plain = await signUp("plain");
    const org = await withMember(owner, admin, "admin");
    const inv = expectOk(await owner.agent.call((c) => c.organization.inviteMember({ email: plain.email, role: "member", organizationId: org.id })), "invite plain");
    expectOk(await plain.agent.call((c) => c.organization.acceptInvitation({ invitationId: inv.id })), "plain accepts");
    expectOk(await owner.agent.call((c) => c.organization.setActive({ organizationId: org.id })), "owner's active");
    await check("list-members", async () => {
      const out = expectOk(await owner.agent.call((c) => c.organization.listMembers()), "list");
      exactKeys(out, ["members", "total"], "answer");
      eq(out.total, 3, "total");
      for (const m of out.members) {
        exactKeys(m, [...MEMBER_KEYS, "user"], "member");
        exactKeys(m.user, MEMBER_USER_KEYS, "member.user");
      }
      eq(out.members.map((m) => m.user.email).sort(), [owner.email, admin.email, plain.email].sort(), "emails");
    });
    await check("list-members-page-sort-filter", async () => {
      const page = expectOk(await owner.agent.call((c) => c.organization.listMembers({ query: { limit: 1, offset: 1, sortBy: "createdAt", sortDirection: "asc" } })), "page");
      eq(page.total, 3, "total counts every member");
      eq(page.members.length, 1, "one");
      eq(page.members[0].user.email, admin.email, "the second to join");
      const desc = expectOk(await owner.agent.call((c) => c.organization.listMembers({ query: { sortBy: "createdAt", sortDirection: "desc" } })), "desc");
      eq(desc.members.map((m) => m.user.email), [plain.email, admin.email, owner.email], "newest first");
      const owners = expectOk(await owner.agent.call((c) => c.organization.listMembers({ query: { filterField: "role", filterOperator: "eq", filterValue: "owner" } })), "filter");
      eq(owners.total, 1, "owners");
      eq(owners.members[0].userId, owner.id, "the owner");
    });
    let plainMember;
    await check("active-member-and-role", async () => {
      plainMember = expectOk(await plain.agent.call((c) => c.organization.getActiveMember()), "active member");
      exactKeys(plainMember, [...MEMBER_KEYS, "user"], "active member");
      eq(plainMember.role, "member", "role");
      eq(expectOk(await plain.agent.call((c) => c.organization.getActiveMemberRole()), "role"), { role: "member" }, "own role");
      const other = await plain.agent.call((c) => c.organization.getActiveMemberRole({ query: { userId: owner.id } }));
      eq(expectOk(other, "owner's role"), { role: "owner" }, "owner's role");
    });
    await check("has-permission", async () => {
      const ownerDelete = await owner.agent.call((c) => c.organization.hasPermission({ permissions: { organization: ["delete"] } }));
      eq(expectOk(ownerDelete, "owner"), { error: null, success: true }, "owner may delete");
      const adminDelete = await admin.agent.call((c) => c.organization.hasPermission({ permissions: { organization: ["delete"] }, organizationId: org.id }));
      eq(expectOk(adminDelete, "admin"), { error: null, success: false }, "admin may not delete");
      const plainCreate = await plain.agent.call((c) => c.organization.hasPermission({ permissions: { member: ["create"] } }));
      eq(expectOk(plainCreate, "member"), { error: null, success: false }, "member may not add");
      const plainRead = await plain.agent.call((c) => c.organization.hasPermission({ permissions: { ac: ["read"] } }));
      eq(expectOk(plainRead, "member read"), { error: null, success: true }, "member may read roles");
      const outsider = await signUp("nobody");
      const out = await outsider.agent.call((c) => c.organization.hasPermission({ permissions: { ac: ["read"] }, organizationId: org.id }));
      expectError(out, 401, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "outsider");
    });
    await check("update-member-role", async () => {
      const refused = await plain.agent.call((c) => c.organization.updateMemberRole({ memberId: plainMember.id, role: "admin" }));
      expectError(refused, 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER", "member promotes self");
      const adminMakesOwner = await admin.agent.call((c) => c.organization.updateMemberRole({ memberId: plainMember.id, role: "owner", organizationId: org.id }));
      expectError(adminMakesOwner, 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER", "admin makes an owner");
      const unknown = await owner.agent.call((c) => c.organization.updateMemberRole({ memberId: plainMember.id, role: "emperor" }));
      expectError(unknown, 400, "ROLE_NOT_FOUND", "unknown role");
      const updated = expectOk(await owner.agent.call((c) => c.organization.updateMemberRole({ memberId: plainMember.id, role: ["admin", "member"] })), "update");
      exactKeys(updated, MEMBER_KEYS, "updated member");
      eq(updated.role, "admin,member", "roles");
      const ownerMember = expectOk(await owner.agent.call((c) => c.organization.getActiveMember()), "owner member");
      const demote = await owner.agent.call((c) => c.organization.updateMemberRole({ memberId: ownerMember.id, role: "member" }));
      expectError(demote, 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER", "last owner");
      expectOk(await owner.agent.call((c) => c.organization.updateMemberRole({ memberId: plainMember.id, role: "member" })), "back");
    });
    await check("leave-as-only-owner-400", async () => {
      const out = await owner.agent.call((c) => c.organization.leave({ organizationId: org.id }));
      expectError(out, 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "leave");
    });
    await check("remove-refusals", async () => {
      const byMember = await plain.agent.call((c) => c.organization.removeMember({ memberIdOrEmail: admin.email }));
      expectError(byMember, 401, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER", "member removes");
      const ownerByAdmin = await admin.agent.call((c) => c.organization.removeMember({ memberIdOrEmail: owner.email, organizationId: org.id }));
      expectError(ownerByAdmin, 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "admin removes the owner");
      const nobody = await owner.agent.call((c) => c.organization.removeMember({ memberIdOrEmail: newEmail("none") }));
      expectError(nobody, 400, "MEMBER_NOT_FOUND", "unknown");
    });
    await check("remove-member", async () => {
      const out = expectOk(await owner.agent.call((c) => c.organization.removeMember({ memberIdOrEmail: plain.email })), "remove");
      exactKeys(out, ["member"], "answer");
      eq(out.member.id, plainMember.id, "the member");
      const read = await plain.agent.call((c) => c.organization.getFullOrganization({ query: { organizationId: org.id } }));
      expectError(read, 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "the removed member's read");
      eq(await activeOrganization(plain.agent), null, "the removed member's active organization");
      const members = await plain.agent.call((c) => c.organization.listMembers({ query: { organizationId: org.id } }));
      expectError(members, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "list-members");
    });
    await check("leave", async () => {
      const left = expectOk(await admin.agent.call((c) => c.organization.leave({ organizationId: org.id })), "leave");
      exactKeys(left, [...MEMBER_KEYS, "user"], "left member");
      eq(left.userId, admin.id, "user");
      const list = expectOk(await owner.agent.call((c) => c.organization.listMembers()), "list");
      eq(list.total, 1, "only the owner");
    });
  },
};

await runSuite(SCENARIOS);
