// Conformance suite for better-auth 1.7.25's genericOAuth plugin: a provider declared on the
// server (here a real OpenID provider, tests/oidc/provider.mjs, as `corp`) is used through the
// official client's core calls — signIn.social({provider}), /callback/<id>, linkSocial — since
// 1.7.25 gives the plugin no endpoints (and no client plugin) of its own.
//
//   node generic-oauth.mjs --base-url http://127.0.0.1:PORT --outbox FILE --issuer URL [--only name,...]
//
// The server must be configured like `GENERIC_OAUTH=1 node reference-server.mjs` (our side:
// crates/auth-cli/tests/conformance/generic_oauth.rs). The provider's development login accepts
// any login name `x` as the user `x` with the e-mail `x@example.test` (verified); every scenario
// uses names of its own, so the suite runs repeatedly on one database.
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  COOKIE, PASSWORD,
  parseSuiteArgs, runSuite, check,
  assert, show, eq, expectError, expectOk, nonEmptyString,
  Agent,
} from "./lib.mjs";

// --issuer is ours; the rest is lib.mjs's.
const at = process.argv.indexOf("--issuer");
const ISSUER = at > 0 ? process.argv[at + 1] : null;
if (!ISSUER) {
  console.error("usage: node generic-oauth.mjs --base-url URL --outbox FILE --issuer URL [--only name,...]");
  process.exit(2);
}
process.argv.splice(at, 2);
const { API } = parseSuiteArgs({ script: "generic-oauth.mjs" });

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOGIN = path.join(HERE, "../oidc/login.mjs");
const RUN = crypto.randomBytes(4).toString("hex");
let counter = 0;
const newLogin = (label) => `ga-${RUN}-${++counter}-${label}`;
const CALLBACK = `${API}/callback/corp`;
const CLIENT_ID = "conformance-client"; // generic_oauth.rs starts the provider with it

// The provider's login page played as a browser: the URL it finally sends the browser to.
function providerLogin(authorizationUrl, login) {
  const out = execFileSync("node", [LOGIN, authorizationUrl, CALLBACK, login], { encoding: "utf8" });
  return out.trim();
}

// signIn.social with the generic provider: {url, redirect} and the state cookie in the jar.
async function start(agent, extra = {}) {
  const data = expectOk(
    await agent.call((c) => c.signIn.social({ provider: "corp", callbackURL: "/dashboard", disableRedirect: true, ...extra })),
    "sign-in/social",
  );
  nonEmptyString(data?.url, "url");
  return new URL(data.url);
}

// The whole sign-in: start, log in at the provider, follow the callback. The callback's answer.
async function signIn(agent, login, extra = {}) {
  const url = await start(agent, extra);
  const back = providerLogin(url.href, login);
  return agent.raw("GET", back);
}

const SCENARIOS = {};

SCENARIOS.authorizationUrl = async () => {
  const agent = new Agent();
  let url;
  await check("authorization-url", async () => {
    url = await start(agent);
    assert(url.href.startsWith(ISSUER), `url ${url.href} is not the provider's (${ISSUER})`);
    const q = url.searchParams;
    eq(q.get("response_type"), "code", "response_type");
    eq(q.get("client_id"), CLIENT_ID, "client_id");
    eq(q.get("scope"), "openid email profile", "scope: openid added by discovery, then the configured ones");
    eq(q.get("redirect_uri"), CALLBACK, "redirect_uri");
    eq(q.get("code_challenge_method"), "S256", "PKCE by default");
    nonEmptyString(q.get("code_challenge"), "code_challenge");
    nonEmptyString(q.get("state"), "state");
    assert(agent.jar.has("better-auth.state"), "state cookie");
  });
  await check("unknown-provider", async () => {
    const result = await agent.call((c) => c.signIn.social({ provider: "nope", callbackURL: "/dashboard" }));
    assert(result.error, `expected an error, got ${show(result.data)}`);
    eq(result.error.code, "PROVIDER_NOT_FOUND", "code");
  });
};

SCENARIOS.signIn = async () => {
  const agent = new Agent();
  const login = newLogin("sign-in");
  let userId;
  await check("callback-signs-in", async () => {
    const res = await signIn(agent, login);
    eq(res.status, 302, "callback status");
    eq(res.headers.get("location"), "/dashboard", "redirect to the callbackURL");
    assert(agent.jar.has(COOKIE), "session cookie");
  });
  await check("session-user-from-the-profile", async () => {
    const data = expectOk(await agent.call((c) => c.getSession()), "get-session");
    eq(data.user.email, `${login}@example.test`, "email");
    eq(data.user.emailVerified, true, "emailVerified");
    eq(data.user.name, `User ${login}`, "name");
    eq(data.user.image, `https://example.test/${login}.png`, "image");
    userId = data.user.id;
  });
  await check("account-is-the-subject", async () => {
    const accounts = expectOk(await agent.call((c) => c.listAccounts()), "list-accounts");
    eq(accounts.length, 1, "accounts");
    eq(accounts[0].providerId, "corp", "providerId");
    eq(accounts[0].accountId, login, "accountId (the id token's sub)");
    eq(accounts[0].userId, userId, "userId");
    assert(accounts[0].scopes.includes("openid"), `scopes ${show(accounts[0].scopes)}`);
  });
  await check("second-sign-in-same-user", async () => {
    const again = new Agent();
    const res = await signIn(again, login);
    eq(res.status, 302, "callback status");
    const data = expectOk(await again.call((c) => c.getSession()), "get-session");
    eq(data.user.id, userId, "the same user");
    const accounts = expectOk(await again.call((c) => c.listAccounts()), "list-accounts");
    eq(accounts.length, 1, "no second account");
  });
};

SCENARIOS.refusals = async () => {
  await check("callback-without-the-state-cookie", async () => {
    const agent = new Agent();
    const url = await start(agent);
    const back = providerLogin(url.href, newLogin("foreign"));
    const stranger = new Agent();
    const res = await stranger.raw("GET", back);
    eq(res.status, 302, "status");
    const location = res.headers.get("location") ?? "";
    assert(location.includes("error=state_mismatch"), `location ${location}`);
    assert(!stranger.jar.has(COOKIE), "no session");
  });
  await check("callback-replayed", async () => {
    const agent = new Agent();
    const url = await start(agent);
    const back = providerLogin(url.href, newLogin("replay"));
    const first = await agent.raw("GET", back);
    eq(first.status, 302, "first");
    eq(first.headers.get("location"), "/dashboard", "first location");
    const again = await agent.raw("GET", back);
    const location = again.headers.get("location") ?? "";
    assert(location.includes("error="), `a replayed callback must fail: ${location}`);
  });
};

SCENARIOS.link = async () => {
  const agent = new Agent();
  const login = newLogin("link");
  const email = `${login}@example.test`;
  let userId;
  await check("link-social", async () => {
    const data = expectOk(await agent.call((c) => c.signUp.email({ email, password: PASSWORD, name: "Linker" })), "sign-up");
    userId = data.user.id;
    const linked = expectOk(
      await agent.call((c) => c.linkSocial({ provider: "corp", callbackURL: "/linked", disableRedirect: true })),
      "link-social",
    );
    const back = providerLogin(linked.url, login);
    const res = await agent.raw("GET", back);
    eq(res.status, 302, "callback status");
    eq(res.headers.get("location"), "/linked", "location");
  });
  await check("linked-account-listed", async () => {
    const accounts = expectOk(await agent.call((c) => c.listAccounts()), "list-accounts");
    eq(accounts.map((a) => a.providerId).sort(), ["corp", "credential"], "providers");
    eq(accounts.find((a) => a.providerId === "corp").accountId, login, "accountId");
  });
  await check("linked-account-signs-in", async () => {
    const other = new Agent();
    const res = await signIn(other, login);
    eq(res.status, 302, "status");
    const data = expectOk(await other.call((c) => c.getSession()), "get-session");
    eq(data.user.id, userId, "the linked user");
  });
  await check("link-another-email-refused", async () => {
    const stranger = new Agent();
    expectOk(
      await stranger.call((c) => c.signUp.email({ email: `${newLogin("other")}@example.com`, password: PASSWORD, name: "Other" })),
      "sign-up",
    );
    const linked = expectOk(
      await stranger.call((c) => c.linkSocial({ provider: "corp", callbackURL: "/linked", disableRedirect: true })),
      "link-social",
    );
    const back = providerLogin(linked.url, newLogin("not-mine"));
    const res = await stranger.raw("GET", back);
    eq(res.status, 302, "status");
    const location = res.headers.get("location") ?? "";
    assert(location.includes("error="), `location ${location}`);
    const accounts = expectOk(await stranger.call((c) => c.listAccounts()), "list-accounts");
    eq(accounts.map((a) => a.providerId), ["credential"], "nothing linked");
  });
};

await runSuite(SCENARIOS);
