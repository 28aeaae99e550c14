// Organization teams interop between two servers that share one database and one secret (the
// real better-auth with ORGANIZATION=1 ORGANIZATION_TEAMS=1 and our Rust server with
// organization-teams.toml): a team made on either is listed and usable on the other (members
// added there, made active there, invited to there), and the seat counter one keeps is the one
// the other enforces (maximumMembersPerTeam 2).
// Plain HTTP (fetch) with a cookie jar per "browser"; the same browser talks to both servers.
//
// Usage: node organization-teams-interop.mjs --a URL --b URL
// Output: one JSON line per check {"name","ok","detail"}, then a summary line; exit code 1 if a
// check failed, 2 on a usage error.
import crypto from "node:crypto";
import { PASSWORD } from "./lib.mjs";
import { Browser as ServerBrowser, arg, check, expect, expectCode, expectStatus, finish } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
if (!SERVERS.A || !SERVERS.B) {
  console.error("usage: node organization-teams-interop.mjs --a URL --b URL");
  process.exit(2);
}
const RUN = crypto.randomBytes(3).toString("hex");
let n = 0;
const newEmail = (tag) => `tinterop-${RUN}-${++n}-${tag}@example.com`;
const newSlug = (tag) => `tinterop-${RUN}-${++n}-${tag}`;
const other = (s) => (s === "A" ? "B" : "A");
class Browser extends ServerBrowser {
  constructor() {
    super(SERVERS);
  }
}

async function signUp(server, tag) {
  const browser = new Browser();
  const email = newEmail(tag);
  const r = await browser.call(server, "POST", "/sign-up/email", { body: { email, password: PASSWORD, name: tag } });
  expectStatus(r, 200, `sign-up on ${server}`);
  return { browser, email, id: r.json.user.id };
}

for (const maker of ["A", "B"]) {
  const user = other(maker);
  let owner;
  let org;
  let team;
  let defaultTeamId;
  let member;

  await check(`team-made-on-${maker}-listed-on-${user}`, async () => {
    owner = await signUp(maker, "owner");
    org = expectStatus(await owner.browser.call(maker, "POST", "/organization/create", { body: { name: "Teams", slug: newSlug("org") } }), 200, "create");
    const session = expectStatus(await owner.browser.call(user, "GET", "/get-session?disableCookieCache=true"), 200, "get-session");
    defaultTeamId = session.session.activeTeamId;
    expect(typeof defaultTeamId === "string" && defaultTeamId.length > 0, `the default team is active on ${user}: ${JSON.stringify(session.session)}`);
    team = expectStatus(await owner.browser.call(maker, "POST", "/organization/create-team", { body: { name: "Ops", organizationId: org.id } }), 200, "create-team");
    const listed = expectStatus(await owner.browser.call(user, "GET", `/organization/list-teams?organizationId=${org.id}`), 200, "list-teams");
    const ids = listed.map((t) => t.id).sort();
    expect(JSON.stringify(ids) === JSON.stringify([defaultTeamId, team.id].sort()), `teams on ${user}: ${JSON.stringify(listed)}`);
    expect(listed.every((t) => !("memberCount" in t)), `memberCount is not returned: ${JSON.stringify(listed)}`);
    const full = expectStatus(await owner.browser.call(user, "GET", `/organization/get-full-organization?organizationId=${org.id}`), 200, "get-full");
    expect(full.teams?.length === 2, `get-full's teams on ${user}: ${JSON.stringify(full.teams)}`);
  });

  await check(`invitation-to-a-team-made-on-${maker}-accepted-on-${user}`, async () => {
    member = await signUp(user, "member");
    const inv = expectStatus(
      await owner.browser.call(maker, "POST", "/organization/invite-member", { body: { email: member.email, role: "member", organizationId: org.id, teamId: team.id } }),
      200,
      "invite",
    );
    expectStatus(await member.browser.call(user, "POST", "/organization/accept-invitation", { body: { invitationId: inv.id } }), 200, "accept");
    const notIn = await owner.browser.call(maker, "POST", "/organization/set-active-team", { body: { teamId: team.id } });
    expectCode(notIn, 403, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM", "the owner is not in Ops");
    const listed = expectStatus(await member.browser.call(maker, "GET", `/organization/list-team-members?teamId=${team.id}`), 200, "list-team-members");
    expect(listed.length === 1 && listed[0].userId === member.id, `Ops members on ${maker}: ${JSON.stringify(listed)}`);
    const session = expectStatus(await member.browser.call(maker, "GET", "/get-session?disableCookieCache=true"), 200, "get-session");
    expect(session.session.activeTeamId === team.id, `the invited team is active on ${maker}: ${JSON.stringify(session.session)}`);
  });

  await check(`seats-counted-on-${user}-enforced-on-${maker}`, async () => {
    // Ops holds the member; the owner joins it on `user`: full (2) on `maker`.
    const added = expectStatus(
      await owner.browser.call(user, "POST", "/organization/add-team-member", { body: { teamId: team.id, userId: owner.id, organizationId: org.id } }),
      200,
      "add the owner",
    );
    const again = expectStatus(
      await owner.browser.call(maker, "POST", "/organization/add-team-member", { body: { teamId: team.id, userId: owner.id, organizationId: org.id } }),
      200,
      "the membership is found",
    );
    expect(again.id === added.id, `one membership: ${added.id} vs ${again.id}`);
    const third = await signUp(maker, "third");
    const inv = expectStatus(
      await owner.browser.call(maker, "POST", "/organization/invite-member", { body: { email: third.email, role: "member", organizationId: org.id } }),
      200,
      "invite a third",
    );
    expectStatus(await third.browser.call(user, "POST", "/organization/accept-invitation", { body: { invitationId: inv.id } }), 200, "accept");
    const full = await owner.browser.call(maker, "POST", "/organization/add-team-member", { body: { teamId: team.id, userId: third.id, organizationId: org.id } });
    expectCode(full, 403, "TEAM_MEMBER_LIMIT_REACHED", `a full team on ${maker}`);
    expectStatus(
      await owner.browser.call(user, "POST", "/organization/remove-team-member", { body: { teamId: team.id, userId: owner.id, organizationId: org.id } }),
      200,
      "the owner leaves Ops",
    );
    expectStatus(
      await owner.browser.call(maker, "POST", "/organization/add-team-member", { body: { teamId: team.id, userId: third.id, organizationId: org.id } }),
      200,
      `a freed seat on ${maker}`,
    );
  });

  await check(`team-removed-on-${user}-gone-on-${maker}`, async () => {
    expectStatus(
      await owner.browser.call(user, "POST", "/organization/update-team", { body: { teamId: team.id, data: { name: "Operations", organizationId: org.id } } }),
      200,
      "update-team",
    );
    const renamed = expectStatus(await owner.browser.call(maker, "GET", `/organization/list-teams?organizationId=${org.id}`), 200, "list-teams");
    expect(renamed.some((t) => t.id === team.id && t.name === "Operations"), `renamed on ${maker}: ${JSON.stringify(renamed)}`);
    expectStatus(
      await owner.browser.call(user, "POST", "/organization/remove-team", { body: { teamId: team.id, organizationId: org.id } }),
      200,
      "remove-team",
    );
    const left = expectStatus(await owner.browser.call(maker, "GET", `/organization/list-teams?organizationId=${org.id}`), 200, "list-teams");
    expect(left.length === 1 && left[0].id === defaultTeamId, `teams on ${maker}: ${JSON.stringify(left)}`);
    const read = await member.browser.call(maker, "GET", `/organization/list-team-members?teamId=${team.id}`);
    expectCode(read, 400, "TEAM_NOT_FOUND", `the removed team on ${maker}`);
  });
}

finish();
