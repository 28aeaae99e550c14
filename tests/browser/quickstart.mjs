// The quickstart's browser set-up, exactly as examples/quickstart/auth.toml documents it, on free
// ports instead of 3000 and 5173 (a shared machine may use those): `auth-cli serve` on
// http://localhost:PORT, the app on http://localhost:APP_PORT with better-auth's official client. The page signs up, signs out, signs in,
// reloads and still reads its session. Prints one JSON line of results; exit 1 on a failed check.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, HERE, bundle, configCopy, freePort, launchBrowser, startApp, startServer } from "./harness.mjs";

const started = Date.now();
const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "auth-browser-quickstart-"));
const port = await freePort();
const appPort = await freePort();
const baseUrl = `http://localhost:${port}`;
const APP_ORIGIN = `http://localhost:${appPort}`;
const config = configCopy(path.join(ROOT, "examples/quickstart/auth.toml"), path.join(scratch, "auth.toml"), [
  ['base-url = "http://localhost:3000"', `base-url = "${baseUrl}"`],
  ['trusted-origins = ["http://localhost:5173"]', `trusted-origins = ["${APP_ORIGIN}"]`],
]);
let server = await startServer({ config, args: ["--port", String(port)] });
const browser = await launchBrowser();
let app = null;
try {
  check("serve prints the base URL", server.api === `${baseUrl}/api/auth`, server.api);
  check(
    "serve prints the client line for the app origin",
    server.printed.some((l) => l.includes(`createAuthClient({ baseURL: "${baseUrl}" })`) && l.includes(APP_ORIGIN)),
    server.printed.join("\n"),
  );
  const context = await browser.newContext();
  const script = await bundle(path.join(HERE, "app/quickstart.js"));
  app = await startApp(
    {
      "/": {
        type: "text/html",
        body: `<!doctype html><title>quickstart</title><p id="session"></p>
<script type="module" src="/app.js"></script>`,
      },
      "/app.js": { type: "text/javascript", body: script },
      "/favicon.ico": { type: "image/x-icon", body: "" },
    },
    appPort,
  );
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  const session = async () => {
    await page
      .waitForSelector("#session[data-ready='1']", { state: "attached", timeout: 10_000 })
      .catch((e) => {
        throw new Error(`${e.message}\npage errors: ${consoleErrors.join("\n")}\nserver: ${server.stderr.slice(-20).join("\n")}`);
      });
    return page.textContent("#session");
  };
  await page.goto(`${APP_ORIGIN}/?server=${encodeURIComponent(baseUrl)}`);
  check("a new page is signed out", (await session()) === "signed out", await session());

  const email = `browser-${Date.now()}@example.com`;
  const password = "correct-horse-battery";
  const up = await page.evaluate(([e, p]) => window.app.signUp(e, p), [email, password]);
  check("sign-up", up.data?.user?.email === email, JSON.stringify(up.error ?? up.data));
  const out = await page.evaluate(() => window.app.signOut());
  check("sign-out", out.data?.success === true, JSON.stringify(out.error ?? out.data));
  await page.reload();
  check("signed out after a reload", (await session()) === "signed out", await session());

  const signIn = await page.evaluate(([e, p]) => window.app.signIn(e, p), [email, password]);
  check("sign-in", signIn.data?.user?.email === email, JSON.stringify(signIn.error ?? signIn.data));
  await page.reload();
  check("the session survives a reload", (await session()) === `signed in as ${email}`, await session());
  const cookies = await context.cookies(baseUrl);
  check(
    "the session cookie is the browser's, SameSite=Lax",
    cookies.some((c) => c.name === "better-auth.session_token" && c.sameSite === "Lax" && c.httpOnly),
    JSON.stringify(cookies.map((c) => [c.name, c.sameSite])),
  );
  check("no console errors", consoleErrors.length === 0, consoleErrors.join("\n"));

  // The set-up the quickstart suggested before: the server on 127.0.0.1, the app on localhost.
  // Two sites: the browser drops the SameSite=Lax cookie, so sign-in succeeds and the session is
  // lost. This is what the checks above tell apart.
  const crossConfig = configCopy(config, path.join(scratch, "cross-site.toml"), [
    [`base-url = "${baseUrl}"`, `base-url = "http://127.0.0.1:${port}"`],
  ]);
  await server.stop();
  server = await startServer({ config: crossConfig, args: ["--port", String(port), "--data-dir", path.join(scratch, "cross")] });
  const cross = await browser.newContext();
  const crossPage = await cross.newPage();
  await crossPage.goto(`${APP_ORIGIN}/?server=${encodeURIComponent(`http://127.0.0.1:${port}`)}`);
  await crossPage.waitForSelector("#session[data-ready='1']", { state: "attached", timeout: 10_000 });
  const crossUp = await crossPage.evaluate(([e, p]) => window.app.signUp(e, p), [`cross-${email}`, password]);
  await crossPage.reload();
  await crossPage.waitForSelector("#session[data-ready='1']", { state: "attached", timeout: 10_000 });
  check(
    "across two sites (server on 127.0.0.1) sign-up succeeds but the session is lost",
    crossUp.data?.user && (await crossPage.textContent("#session")) === "signed out",
    `${JSON.stringify(crossUp.error ?? crossUp.data?.user?.email)} then ${await crossPage.textContent("#session")}`,
  );
} finally {
  await browser.close();
  await app?.close();
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
const failed = checks.filter((c) => !c.ok);
console.log(JSON.stringify({ checks, failed: failed.length, ms: Date.now() - started }));
process.exit(failed.length ? 1 : 0);
