// generic-oauth interop between two servers on one SQLite database and one secret (the real
// better-auth with GENERIC_OAUTH=1 and our server with the same provider, `corp`, declared in
// auth.toml): a user who signs up through the provider on either server signs in on the other,
// to the same user and the same account (better-auth's accountId: the id token's `sub`).
//
// Usage: node generic-oauth-interop.mjs --a URL --b URL --issuer URL
// Output: one JSON line per check {"name","ok","detail"}, then a summary line; exit code 1 if a
// check failed, 2 on a usage error.
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { COOKIE, ORIGIN, parseSetCookie } from "./lib.mjs";
import { arg, check, expect, finish } from "./interop-lib.mjs";

const SERVERS = { A: arg("--a")?.replace(/\/+$/, ""), B: arg("--b")?.replace(/\/+$/, "") };
const ISSUER = arg("--issuer");
if (!SERVERS.A || !SERVERS.B || !ISSUER) {
  console.error("usage: node generic-oauth-interop.mjs --a URL --b URL --issuer URL");
  process.exit(2);
}
const LOGIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "../oidc/login.mjs");
const RUN = crypto.randomBytes(3).toString("hex");

// One request, redirects not followed; the cookies it sets by name.
async function send(url, method, { body, cookie } = {}) {
  const headers = { origin: ORIGIN };
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(url, { method, headers, body: body && JSON.stringify(body), redirect: "manual" });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  const cookies = Object.fromEntries(res.headers.getSetCookie().map(parseSetCookie).map((c) => [c.name, c.value]));
  return { status: res.status, json, text, location: res.headers.get("location"), cookies };
}

// Signs `login` in through the provider on `server`: its session cookie, user and accounts.
async function signIn(server, login) {
  const api = `${SERVERS[server]}/api/auth`;
  const started = await send(`${api}/sign-in/social`, "POST", { body: { provider: "corp", callbackURL: "/dashboard" } });
  expect(started.status === 200 && started.json?.url, `sign-in/social on ${server}: ${started.status} ${started.text}`);
  expect(started.json.url.startsWith(ISSUER), `not the provider: ${started.json.url}`);
  const state = started.cookies["better-auth.state"];
  expect(state, `no state cookie from ${server}`);
  const back = execFileSync("node", [LOGIN, started.json.url, `${api}/callback/corp`, login], { encoding: "utf8" }).trim();
  const done = await send(back, "GET", { cookie: `better-auth.state=${state}` });
  expect(done.status === 302 && done.location === "/dashboard", `callback on ${server}: ${done.status} ${done.location}`);
  const token = done.cookies[COOKIE];
  expect(token, `no session cookie from ${server}'s callback`);
  const cookie = `${COOKIE}=${token}`;
  const session = await send(`${api}/get-session`, "GET", { cookie });
  expect(session.status === 200 && session.json?.user, `get-session on ${server}: ${session.text}`);
  const accounts = await send(`${api}/list-accounts`, "GET", { cookie });
  expect(accounts.status === 200 && Array.isArray(accounts.json), `list-accounts on ${server}: ${accounts.text}`);
  return { user: session.json.user, accounts: accounts.json };
}

for (const [first, second] of [["A", "B"], ["B", "A"]]) {
  const login = `gi-${RUN}-${first.toLowerCase()}`;
  let made;
  await check(`signs-up-on-${first}`, async () => {
    made = await signIn(first, login);
    expect(made.user.email === `${login}@example.test`, `email ${made.user.email}`);
    expect(made.user.emailVerified === true, "emailVerified");
    expect(made.accounts.length === 1 && made.accounts[0].accountId === login, JSON.stringify(made.accounts));
  });
  let again;
  await check(`signs-in-on-${second}-as-the-same-user`, async () => {
    expect(made, "no user from the first server");
    again = await signIn(second, login);
    expect(again.user.id === made.user.id, `user ${again.user.id}, made ${made.user.id}`);
  });
  await check(`one-account-on-${second}`, async () => {
    expect(again, "no sign-in on the second server");
    expect(again.accounts.length === 1, JSON.stringify(again.accounts));
    expect(again.accounts[0].id === made.accounts[0].id, "the same account row");
    expect(again.accounts[0].providerId === "corp", "providerId");
  });
}

finish();
