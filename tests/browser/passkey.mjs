// Passkeys in Chromium with the DevTools protocol's virtual authenticator (ctap2, internal,
// resident keys, user verification), through better-auth's `passkeyClient`: sign up, register a
// passkey, sign out, sign in with it, get-session has the user; list, rename, delete; a deleted
// passkey no longer signs in.
//
//   node passkey.mjs --a URL [--b URL]
//
// With one server the whole flow runs against it. With two (one database, one secret), the
// passkey registered on A signs in on B and is managed there, then the reverse. The page is on
// http://localhost:<free port> (a secure context; the RP ID is `localhost`), and forwards
// `/a/api/auth/*` and `/b/api/auth/*` to the servers, so requests carry the page's Origin and the
// browser keeps one cookie jar. Prints one JSON line `{checks, failed, ms}`; exit 1 on a failure.
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { HERE, bundle, freePort, launchBrowser } from "./harness.mjs";

const started = Date.now();
const { values: args } = parseArgs({ options: { a: { type: "string" }, b: { type: "string" } } });
if (!args.a) throw new Error("--a URL is required");
const servers = { a: args.a, b: args.b ?? args.a };
const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail: ok ? undefined : detail });

/// The page, its bundle, and `/<server>/api/auth/*` forwarded to that server.
function startApp(files, port) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, "http://localhost");
    const prefix = url.pathname.split("/")[1];
    if (servers[prefix] && url.pathname.startsWith(`/${prefix}/api/auth/`)) {
      const target = new URL(url.pathname.slice(prefix.length + 1) + url.search, servers[prefix]);
      const headers = { ...request.headers, host: target.host };
      const forward = http.request(target, { method: request.method, headers }, (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        answer.pipe(response);
      });
      forward.on("error", (e) => {
        response.writeHead(502, { "content-type": "text/plain" });
        response.end(String(e));
      });
      request.pipe(forward);
      return;
    }
    const file = files[url.pathname];
    response.writeHead(file ? 200 : 404, { "content-type": file ? file.type : "text/plain" });
    response.end(file ? file.body : "not found");
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({ origin: `http://localhost:${port}`, close: () => new Promise((done) => server.close(done)) }),
    );
  });
}

const browser = await launchBrowser();
let app = null;
try {
  app = await startApp(
    {
      "/": {
        type: "text/html",
        body: `<!doctype html><title>passkey</title><p id="ready"></p><script type="module" src="/app.js"></script>`,
      },
      "/app.js": { type: "text/javascript", body: await bundle(path.join(HERE, "app/passkey.js")) },
      "/favicon.ico": { type: "image/x-icon", body: "" },
    },
    await freePort(),
  );
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`${app.origin}/`);
  await page.waitForSelector("#ready[data-ready='1']", { state: "attached", timeout: 10_000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const call = (fn, ...rest) => page.evaluate(([f, r]) => window.app[f](...r), [fn, rest]);
  const show = (r) => JSON.stringify(r.error ?? r.data);

  const rounds = args.b ? [["a", "b"], ["b", "a"]] : [["a", "a"]];
  for (const [register, signIn] of rounds) {
    const tag = args.b ? `${register}→${signIn}: ` : "";
    const email = `passkey-${register}-${Date.now()}@example.com`;
    const up = await call("signUp", register, email, "correct-horse-battery");
    check(`${tag}sign-up`, up.data?.user?.email === email, show(up));
    const added = await call("addPasskey", register, "my laptop");
    check(`${tag}addPasskey registers a passkey`, added.data?.credentialID && added.data?.name === "my laptop", show(added));
    check(`${tag}the passkey is the signed-in user's`, added.data?.userId === up.data?.user?.id, show(added));
    check(`${tag}attestation none, counter stored`, typeof added.data?.counter === "number", show(added));
    check(`${tag}transports of the internal authenticator`, added.data?.transports === "internal", show(added));
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    const mine = credentials.find((c) => Buffer.from(c.credentialId, "base64").toString("base64url") === added.data?.credentialID);
    check(`${tag}the authenticator holds a resident credential with that id`, mine?.isResidentCredential, JSON.stringify(credentials.map((c) => c.credentialId)));

    const out = await call("signOut", register);
    check(`${tag}sign-out`, out.data?.success === true, show(out));
    const none = await call("session", signIn);
    check(`${tag}signed out`, none.data === null, show(none));

    const signedIn = await call("signInPasskey", signIn);
    check(`${tag}signIn.passkey signs in`, signedIn.data?.user?.email === email && signedIn.data?.session?.token, show(signedIn));
    const session = await call("session", signIn);
    check(`${tag}get-session has the user`, session.data?.user?.email === email, show(session));

    const listed = await call("list", signIn);
    const row = listed.data?.[0];
    check(`${tag}list-user-passkeys lists it`, listed.data?.length === 1 && row?.credentialID === added.data?.credentialID, show(listed));
    check(`${tag}the counter moved`, row?.counter > added.data?.counter || (row?.counter === 0 && added.data?.counter === 0), show(listed));
    const renamed = await call("rename", signIn, row?.id, "work laptop");
    check(`${tag}update-passkey renames it`, renamed.data?.passkey?.name === "work laptop", show(renamed));
    const relisted = await call("list", signIn);
    check(`${tag}the new name is listed`, relisted.data?.[0]?.name === "work laptop", show(relisted));

    const again = await call("signInPasskey", signIn);
    check(`${tag}it signs in again`, again.data?.user?.email === email, show(again));
    const removed = await call("remove", signIn, row?.id);
    check(`${tag}delete-passkey`, removed.data?.status === true, show(removed));
    const empty = await call("list", signIn);
    check(`${tag}nothing is listed after the delete`, Array.isArray(empty.data) && empty.data.length === 0, show(empty));
    await call("signOut", signIn);
    const refused = await call("signInPasskey", signIn);
    check(`${tag}a deleted passkey no longer signs in (401 PASSKEY_NOT_FOUND)`, refused.error?.status === 401 && refused.error?.code === "PASSKEY_NOT_FOUND", show(refused));
    await cdp.send("WebAuthn.clearCredentials", { authenticatorId });
  }
  check("no page errors", pageErrors.length === 0, pageErrors.join("\n"));
} catch (error) {
  check("the scenario ran to its end", false, String(error?.stack ?? error));
} finally {
  await browser.close();
  await app?.close();
}
const failed = checks.filter((c) => !c.ok);
console.log(JSON.stringify({ checks, failed: failed.length, ms: Date.now() - started }));
process.exit(failed.length ? 1 : 0);
