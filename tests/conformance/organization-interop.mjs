// Organization plugin interop between two servers that share one database and one secret (the
// real better-auth with ORGANIZATION=1 and our Rust server with organization.toml): an
// organization, a member and an invitation made on either are listed and usable on the other,
// a role set by either is enforced by the other, and a member removed on either is refused on
// the other.
// Plain HTTP (fetch) with a cookie jar per "browser"; the same browser talks to both servers.
//
// Usage: node organization-interop.mjs --a URL --b URL
// Output: one JSON line per check {"name","ok","detail"}, then a summary line; exit code 1 if a
// check failed, 2 on a usage error.
import crypto from "node:crypto";
import { PASSWORD } from "./lib.mjs";
import { Browser as ServerBrowser, arg, check, expect, expectCode, expectStatus, finish, showAnswer } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
if (!SERVERS.A || !SERVERS.B) {
  console.error("usage: node organization-interop.mjs --a URL --b URL");
  process.exit(2);
}
const RUN = crypto.randomBytes(3).toString("hex");
let n = 0;
const newEmail = (tag) => `ointerop-${RUN}-${++n}-${tag}@example.com`;
const newSlug = (tag) => `ointerop-${RUN}-${++n}-${tag}`;
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

for (const maker of ["A", "B"]) {
  const user = other(maker);
  let owner;
  let member;
  let org;
  let memberId;

  await check(`organization-made-on-${maker}-listed-on-${user}`, async () => {
    owner = await signUp(maker, "owner");
    org = expectStatus(
      await owner.browser.call(maker, "POST", "/organization/create", { body: { name: "Interop", slug: newSlug("org"), metadata: { from: maker } } }),
      200,
      "create",
    );
    const list = expectStatus(await owner.browser.call(user, "GET", "/organization/list"), 200, "list");
    expect(list.some((o) => o.id === org.id && o.slug === org.slug), `listed on ${user}: ${JSON.stringify(list)}`);
    const full = expectStatus(await owner.browser.call(user, "GET", `/organization/get-full-organization?organizationId=${org.id}`), 200, "get-full");
    expect(full.members.length === 1 && full.members[0].role === "owner", `owner on ${user}: ${JSON.stringify(full)}`);
    const session = expectStatus(await owner.browser.call(user, "GET", "/get-session?disableCookieCache=true"), 200, "get-session");
    expect(session.session.activeOrganizationId === org.id, `active organization on ${user}: ${JSON.stringify(session.session)}`);
  });

  await check(`invitation-made-on-${maker}-accepted-on-${user}`, async () => {
    member = await signUp(user, "member");
    const inv = expectStatus(
      await owner.browser.call(maker, "POST", "/organization/invite-member", { body: { email: member.email, role: "member", organizationId: org.id } }),
      200,
      "invite",
    );
    const got = expectStatus(await member.browser.call(user, "GET", `/organization/get-invitation?id=${inv.id}`), 200, "get-invitation");
    expect(got.organizationSlug === org.slug && got.inviterEmail === owner.email, `get-invitation: ${JSON.stringify(got)}`);
    const listed = expectStatus(await owner.browser.call(user, "GET", `/organization/list-invitations?organizationId=${org.id}`), 200, "list-invitations");
    expect(listed.some((i) => i.id === inv.id && i.status === "pending"), `listed: ${JSON.stringify(listed)}`);
    const accepted = expectStatus(await member.browser.call(user, "POST", "/organization/accept-invitation", { body: { invitationId: inv.id } }), 200, "accept");
    memberId = accepted.member.id;
    expectCode(
      await member.browser.call(maker, "POST", "/organization/accept-invitation", { body: { invitationId: inv.id } }),
      400,
      "INVITATION_NOT_FOUND",
      `accepted again on ${maker}`,
    );
    const members = expectStatus(await owner.browser.call(maker, "GET", `/organization/list-members?organizationId=${org.id}`), 200, "list-members");
    expect(members.total === 2 && members.members.some((m) => m.userId === member.id && m.role === "member"), `members on ${maker}: ${JSON.stringify(members)}`);
  });

  await check(`role-set-on-${maker}-enforced-on-${user}`, async () => {
    const before = await member.browser.call(user, "POST", "/organization/invite-member", { body: { email: newEmail("x"), role: "member", organizationId: org.id } });
    expectCode(before, 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", `member invites on ${user}`);
    const promoted = expectStatus(
      await owner.browser.call(maker, "POST", "/organization/update-member-role", { body: { memberId, role: "admin", organizationId: org.id } }),
      200,
      "promote",
    );
    expect(promoted.role === "admin", `promoted: ${JSON.stringify(promoted)}`);
    expectStatus(
      await member.browser.call(user, "POST", "/organization/invite-member", { body: { email: newEmail("y"), role: "member", organizationId: org.id } }),
      200,
      `admin invites on ${user}`,
    );
    const asked = await member.browser.call(user, "POST", "/organization/has-permission", { body: { permissions: { organization: ["delete"] }, organizationId: org.id } });
    expect(asked.json?.success === false, `admin may not delete: ${show(asked)}`);
  });

  await check(`role-set-on-${user}-enforced-on-${maker}`, async () => {
    expectStatus(
      await owner.browser.call(user, "POST", "/organization/update-member-role", { body: { memberId, role: "member", organizationId: org.id } }),
      200,
      "demote",
    );
    const refused = await member.browser.call(maker, "POST", "/organization/invite-member", { body: { email: newEmail("z"), role: "member", organizationId: org.id } });
    expectCode(refused, 403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", `member invites on ${maker}`);
    const demoteOwner = await member.browser.call(maker, "POST", "/organization/remove-member", { body: { memberIdOrEmail: owner.email, organizationId: org.id } });
    expectCode(demoteOwner, 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "a member removes the owner");
  });

  await check(`outsider-refused-on-both-for-${maker}`, async () => {
    const outsider = await signUp(user, "outsider");
    for (const server of ["A", "B"]) {
      const read = await outsider.browser.call(server, "GET", `/organization/get-full-organization?organizationId=${org.id}`);
      expectCode(read, 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", `get-full on ${server}`);
      const members = await outsider.browser.call(server, "GET", `/organization/list-members?organizationId=${org.id}`);
      expectCode(members, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", `list-members on ${server}`);
    }
  });

  await check(`member-removed-on-${user}-refused-on-${maker}`, async () => {
    expectStatus(
      await owner.browser.call(user, "POST", "/organization/remove-member", { body: { memberIdOrEmail: member.email, organizationId: org.id } }),
      200,
      "remove",
    );
    const members = await member.browser.call(maker, "GET", `/organization/list-members?organizationId=${org.id}`);
    expectCode(members, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", `list-members on ${maker}`);
  });

  await check(`organization-made-on-${maker}-deleted-on-${user}`, async () => {
    expectStatus(await owner.browser.call(user, "POST", "/organization/delete", { body: { organizationId: org.id } }), 200, "delete");
    const list = expectStatus(await owner.browser.call(maker, "GET", "/organization/list"), 200, "list");
    expect(!list.some((o) => o.id === org.id), `still listed on ${maker}: ${JSON.stringify(list)}`);
    const read = await owner.browser.call(maker, "GET", `/organization/get-full-organization?organizationId=${org.id}`);
    expectCode(read, 400, "ORGANIZATION_NOT_FOUND", `get-full on ${maker}`);
  });
}

finish();
