// Conformance suite for better-auth 1.7.25's organization teams, through its official client
// plugin (`organizationClient({ teams: { enabled: true } })` from "better-auth/client/plugins").
//
//   node organization-teams.mjs --base-url http://127.0.0.1:PORT --outbox FILE [--only name,...] [--secret S]
//
// The server is configured like `ORGANIZATION=1 ORGANIZATION_TEAMS=1 node reference-server.mjs`
// (and crates/auth-cli/tests/conformance/organization-teams.toml): organization.mjs's options
// plus teams: {enabled: true, maximumTeams: 3, maximumMembersPerTeam: 2}. Every scenario signs up
// its own users with random addresses, so the suite can run repeatedly on one database.
import crypto from "node:crypto";
import { organizationClient } from "better-auth/client/plugins";
import {
  PASSWORD, parseSuiteArgs, runSuite, check, assert, show, eq, exactKeys, expectError, expectOk,
  Agent as BaseAgent, isDate,
} from "./lib.mjs";

parseSuiteArgs({ script: "organization-teams.mjs" });

const RUN = crypto.randomBytes(4).toString("hex");
let counter = 0;
const newEmail = (label) => `teams-${RUN}-${++counter}-${label}@example.com`;
const newSlug = (label) => `${label}-${RUN}-${++counter}`;

const TEAM_KEYS = ["id", "name", "organizationId", "createdAt", "updatedAt"];
const TEAM_MEMBER_KEYS = ["id", "teamId", "userId", "createdAt"];
const ORG_KEYS = ["id", "name", "slug", "logo", "createdAt", "metadata"];

class Agent extends BaseAgent {
  constructor(options = {}) {
    super({ ...options, plugins: [organizationClient({ teams: { enabled: true } })] });
  }
}

async function signUp(label) {
  const agent = new Agent();
  const email = newEmail(label);
  const out = await agent.call((c) => c.signUp.email({ email, password: PASSWORD, name: `${label} ${RUN}` }));
  const data = expectOk(out, `sign-up ${label}`);
  return { agent, email, id: data.user.id };
}

async function session(agent) {
  const out = await agent.call((c) => c.getSession({ query: { disableCookieCache: true } }));
  return expectOk(out, "get-session")?.session ?? null;
}

async function createOrg(agent, label) {
  const name = `${label} ${RUN}`;
  const out = await agent.call((c) => c.organization.create({ name, slug: newSlug(label) }));
  return expectOk(out, `create ${label}`);
}

// `member` joins `org` of `owner` by invitation (to `teamId` when given).
async function join(owner, member, org, teamId) {
  const body = { email: member.email, role: "member", organizationId: org.id, ...(teamId ? { teamId } : {}) };
  const inv = expectOk(await owner.agent.call((c) => c.organization.inviteMember(body)), "invite");
  expectOk(await member.agent.call((c) => c.organization.acceptInvitation({ invitationId: inv.id })), "accept");
  return inv;
}

const teamsOf = async (agent, organizationId) =>
  expectOk(await agent.call((c) => c.organization.listTeams({ query: { organizationId } })), "list-teams");

const SCENARIOS = {
  // The default team, create/update/list/remove, invitations to a team, membership, the active team.
  async teams() {
    const owner = await signUp("owner");
    let org;
    let defaultTeam;
    await check("default-team", async () => {
      org = await createOrg(owner.agent, "acme");
      const teams = await teamsOf(owner.agent, org.id);
      eq(teams.length, 1, "one team");
      exactKeys(teams[0], TEAM_KEYS, "team");
      eq(teams[0].name, org.name, "named after the organization");
      eq(teams[0].organizationId, org.id, "organization");
      defaultTeam = teams[0];
      const s = await session(owner.agent);
      eq(s.activeTeamId, defaultTeam.id, "the default team is active");
      const members = expectOk(await owner.agent.call((c) => c.organization.listTeamMembers()), "list-team-members");
      eq(members.map((m) => m.userId), [owner.id], "its creator is in it");
      exactKeys(members[0], TEAM_MEMBER_KEYS, "team member");
    });
    let ops;
    await check("create-team", async () => {
      ops = expectOk(await owner.agent.call((c) => c.organization.createTeam({ name: "Ops" })), "create-team");
      exactKeys(ops, TEAM_KEYS, "team");
      eq(ops.name, "Ops", "name");
      eq(ops.organizationId, org.id, "the active organization");
      isDate(new Date(ops.createdAt), "createdAt");
      isDate(new Date(ops.updatedAt), "updatedAt");
      const teams = await teamsOf(owner.agent, org.id);
      eq(teams.map((t) => t.id).sort(), [defaultTeam.id, ops.id].sort(), "listed");
    });
    await check("update-team", async () => {
      const out = expectOk(await owner.agent.call((c) => c.organization.updateTeam({ teamId: ops.id, data: { name: "Operations" } })), "update-team");
      exactKeys(out, TEAM_KEYS, "team");
      eq(out.name, "Operations", "name");
      eq(out.id, ops.id, "id");
    });
    await check("get-full-organization-teams", async () => {
      const full = expectOk(await owner.agent.call((c) => c.organization.getFullOrganization()), "get-full");
      exactKeys(full, [...ORG_KEYS, "members", "invitations", "teams"], "full organization");
      eq(full.teams.map((t) => t.id).sort(), [defaultTeam.id, ops.id].sort(), "teams");
      // better-auth's join answers the seat counter that its other team answers leave out.
      for (const t of full.teams) exactKeys(t, [...TEAM_KEYS, "memberCount"], "team");
      // The teams come in no stated order (MariaDB's differs from SQLite's): compare by id.
      const count = (id) => full.teams.find((t) => t.id === id)?.memberCount;
      eq([full.teams.length, count(defaultTeam.id), count(ops.id)], [2, 1, 0], "memberCount");
    });
    const member = await signUp("member");
    await check("invite-to-team", async () => {
      const inv = await join(owner, member, org, ops.id);
      eq(inv.teamId, ops.id, "invitation.teamId");
      const s = await session(member.agent);
      eq(s.activeOrganizationId, org.id, "active organization");
      eq(s.activeTeamId, ops.id, "the invitation's team is active");
      const members = expectOk(await member.agent.call((c) => c.organization.listTeamMembers()), "list-team-members");
      eq(members.map((m) => m.userId), [member.id], "in the team");
    });
    await check("list-user-teams", async () => {
      const mine = expectOk(await member.agent.call((c) => c.organization.listUserTeams()), "list-user-teams");
      eq(mine.map((t) => t.id), [ops.id], "the member's teams");
      exactKeys(mine[0], TEAM_KEYS, "team");
      const scoped = expectOk(await owner.agent.call((c) => c.organization.listUserTeams({ query: { organizationId: org.id } })), "scoped");
      eq(scoped.map((t) => t.id), [defaultTeam.id], "the owner's teams");
      const other = expectOk(await owner.agent.call((c) => c.organization.listUserTeams({ query: { userId: member.id } })), "another user's");
      eq(other.map((t) => t.id), [ops.id], "the member's teams, read by the owner");
    });
    let added;
    await check("add-team-member", async () => {
      added = expectOk(await owner.agent.call((c) => c.organization.addTeamMember({ teamId: defaultTeam.id, userId: member.id })), "add");
      exactKeys(added, TEAM_MEMBER_KEYS, "team member");
      eq(added.teamId, defaultTeam.id, "team");
      eq(added.userId, member.id, "user");
      const again = expectOk(await owner.agent.call((c) => c.organization.addTeamMember({ teamId: defaultTeam.id, userId: member.id })), "again");
      eq(again.id, added.id, "adding twice finds the membership");
    });
    await check("set-active-team", async () => {
      const team = expectOk(await member.agent.call((c) => c.organization.setActiveTeam({ teamId: defaultTeam.id })), "set-active-team");
      exactKeys(team, TEAM_KEYS, "team");
      eq(team.id, defaultTeam.id, "id");
      eq((await session(member.agent)).activeTeamId, defaultTeam.id, "session");
      eq(expectOk(await member.agent.call((c) => c.organization.setActiveTeam({ teamId: null })), "clear"), null, "cleared");
      eq((await session(member.agent)).activeTeamId, null, "session cleared");
    });
    await check("remove-team-member", async () => {
      const out = expectOk(await owner.agent.call((c) => c.organization.removeTeamMember({ teamId: defaultTeam.id, userId: member.id })), "remove");
      eq(out, { message: "Team member removed successfully." }, "answer");
      const members = expectOk(await owner.agent.call((c) => c.organization.listTeamMembers({ query: { teamId: defaultTeam.id } })), "members");
      eq(members.map((m) => m.userId), [owner.id], "left");
      const again = await owner.agent.call((c) => c.organization.removeTeamMember({ teamId: defaultTeam.id, userId: member.id }));
      expectError(again, 400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "again");
    });
    await check("remove-team", async () => {
      const out = expectOk(await owner.agent.call((c) => c.organization.removeTeam({ teamId: ops.id })), "remove-team");
      eq(out, { message: "Team removed successfully." }, "answer");
      eq((await teamsOf(owner.agent, org.id)).map((t) => t.id), [defaultTeam.id], "one team left");
      const mine = expectOk(await member.agent.call((c) => c.organization.listUserTeams()), "list-user-teams");
      eq(mine, [], "the removed team's member");
    });
    await check("remove-active-team-403", async () => {
      const out = await owner.agent.call((c) => c.organization.removeTeam({ teamId: defaultTeam.id }));
      expectError(out, 403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM", "the caller's active team");
    });
    await check("remove-last-team-400", async () => {
      expectOk(await owner.agent.call((c) => c.organization.setActiveTeam({ teamId: null })), "clear");
      const out = await owner.agent.call((c) => c.organization.removeTeam({ teamId: defaultTeam.id }));
      expectError(out, 400, "UNABLE_TO_REMOVE_LAST_TEAM", "last team");
    });
    await check("removed-member-leaves-teams", async () => {
      expectOk(await owner.agent.call((c) => c.organization.addTeamMember({ teamId: defaultTeam.id, userId: member.id })), "add");
      expectOk(await owner.agent.call((c) => c.organization.removeMember({ memberIdOrEmail: member.email, organizationId: org.id })), "remove-member");
      const members = expectOk(await owner.agent.call((c) => c.organization.listTeamMembers({ query: { teamId: defaultTeam.id } })), "members");
      eq(members.map((m) => m.userId), [owner.id], "the removed member is out of the team");
      const mine = expectOk(await member.agent.call((c) => c.organization.listUserTeams()), "list-user-teams");
      eq(mine, [], "the removed member's teams");
      const read = await member.agent.call((c) => c.organization.listTeamMembers({ query: { teamId: defaultTeam.id } }));
      expectError(read, 400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "the removed member reads the team");
    });
    await check("deleted-organization-teams", async () => {
      expectOk(await owner.agent.call((c) => c.organization.delete({ organizationId: org.id })), "delete");
      const mine = expectOk(await owner.agent.call((c) => c.organization.listUserTeams()), "list-user-teams");
      assert(!mine.some((t) => t.organizationId === org.id), `teams of a deleted organization: ${show(mine)}`);
      const read = await owner.agent.call((c) => c.organization.listTeamMembers({ query: { teamId: defaultTeam.id } }));
      assert(read.error && read.error.status === 400, `read a deleted organization's team: ${show(read.data ?? read.error)}`);
    });
  },

  // Limits, rights, unknown teams and outsiders, refused with better-auth's codes.
  async "team-refusals"() {
    const owner = await signUp("owner");
    const org = await createOrg(owner.agent, "limits");
    const [defaultTeam] = await teamsOf(owner.agent, org.id);
    const a = await signUp("a");
    const b = await signUp("b");
    await join(owner, a, org);
    await join(owner, b, org);
    await check("maximum-teams-400", async () => {
      expectOk(await owner.agent.call((c) => c.organization.createTeam({ name: "two" })), "second");
      expectOk(await owner.agent.call((c) => c.organization.createTeam({ name: "three" })), "third");
      const out = await owner.agent.call((c) => c.organization.createTeam({ name: "four" }));
      expectError(out, 400, "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS", "fourth");
    });
    await check("maximum-members-per-team-403", async () => {
      expectOk(await owner.agent.call((c) => c.organization.addTeamMember({ teamId: defaultTeam.id, userId: a.id })), "a joins");
      const out = await owner.agent.call((c) => c.organization.addTeamMember({ teamId: defaultTeam.id, userId: b.id }));
      expectError(out, 403, "TEAM_MEMBER_LIMIT_REACHED", "b joins a full team");
      const invite = await owner.agent.call((c) => c.organization.inviteMember({ email: newEmail("c"), role: "member", teamId: defaultTeam.id }));
      expectError(invite, 403, "TEAM_MEMBER_LIMIT_REACHED", "invited to a full team");
    });
    await check("member-rights-403", async () => {
      const create = await b.agent.call((c) => c.organization.createTeam({ name: "mine", organizationId: org.id }));
      expectError(create, 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION", "create");
      const update = await b.agent.call((c) => c.organization.updateTeam({ teamId: defaultTeam.id, data: { name: "x", organizationId: org.id } }));
      expectError(update, 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM", "update");
      const add = await b.agent.call((c) => c.organization.addTeamMember({ teamId: defaultTeam.id, userId: b.id, organizationId: org.id }));
      expectError(add, 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER", "add");
      const remove = await b.agent.call((c) => c.organization.removeTeamMember({ teamId: defaultTeam.id, userId: a.id, organizationId: org.id }));
      expectError(remove, 403, "YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER", "remove member");
      const del = await b.agent.call((c) => c.organization.removeTeam({ teamId: defaultTeam.id, organizationId: org.id }));
      expectError(del, 403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION", "remove team");
    });
    await check("not-in-the-team", async () => {
      const active = await b.agent.call((c) => c.organization.setActiveTeam({ teamId: defaultTeam.id }));
      expectError(active, 403, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "set-active-team");
      const read = await b.agent.call((c) => c.organization.listTeamMembers({ query: { teamId: defaultTeam.id } }));
      expectError(read, 400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "list-team-members");
      const none = await b.agent.call((c) => c.organization.listTeamMembers());
      expectError(none, 400, "YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM", "no active team");
    });
    await check("unknown-team-400", async () => {
      const update = await owner.agent.call((c) => c.organization.updateTeam({ teamId: "no-such-team", data: { name: "x" } }));
      expectError(update, 400, "TEAM_NOT_FOUND", "update");
      const active = await owner.agent.call((c) => c.organization.setActiveTeam({ teamId: "no-such-team" }));
      expectError(active, 400, "TEAM_NOT_FOUND", "set-active-team");
      const invite = await owner.agent.call((c) => c.organization.inviteMember({ email: newEmail("d"), role: "member", teamId: "no-such-team" }));
      expectError(invite, 400, "TEAM_NOT_FOUND", "invite");
      const comma = await owner.agent.call((c) => c.organization.inviteMember({ email: newEmail("e"), role: "member", teamId: `${defaultTeam.id},x` }));
      expectError(comma, 400, "INVALID_TEAM_ID", "a comma in a team id");
    });
    const outsider = await signUp("outsider");
    await check("outsider-refused", async () => {
      const list = await outsider.agent.call((c) => c.organization.listTeams({ query: { organizationId: org.id } }));
      expectError(list, 403, "YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION", "list-teams");
      const members = await outsider.agent.call((c) => c.organization.listTeamMembers({ query: { teamId: defaultTeam.id } }));
      expectError(members, 400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "list-team-members");
      const create = await outsider.agent.call((c) => c.organization.createTeam({ name: "x", organizationId: org.id }));
      expectError(create, 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", "create-team");
      const add = await outsider.agent.call((c) => c.organization.addTeamMember({ teamId: defaultTeam.id, userId: outsider.id, organizationId: org.id }));
      expectError(add, 400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "add-team-member");
      const userTeams = await outsider.agent.call((c) => c.organization.listUserTeams({ query: { organizationId: org.id } }));
      expectError(userTeams, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "list-user-teams");
      const active = await outsider.agent.call((c) => c.organization.setActiveTeam({ teamId: defaultTeam.id }));
      expectError(active, 400, "NO_ACTIVE_ORGANIZATION", "set-active-team");
      const addOutsider = await owner.agent.call((c) => c.organization.addTeamMember({ teamId: defaultTeam.id, userId: outsider.id }));
      expectError(addOutsider, 400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "an outsider added");
    });
    await check("no-session-401", async () => {
      const res = await new Agent().raw("GET", "/organization/list-teams");
      eq(res.status, 401, "status");
    });
  },
};

await runSuite(SCENARIOS);
