// The open-api plugin's reference page in Chromium, offline: every request that leaves loopback
// is blocked (and recorded: there must be none), the page renders Scalar from our own server and
// lists every operation of the document. Also checks that the Scalar bundle compiled into the
// binary is, byte for byte, the pinned npm package's (`@scalar/api-reference` in this folder's
// lockfile). Prints one JSON line of results; exit 1 on a failed check.
//
// Environment: AUTH_CLI, SCALAR_VERSION and SCALAR_SHA256 (the binary's, from the Rust test),
// SCREENSHOT (where to keep the page's screenshot).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, HERE, freePort, launchBrowser, startServer } from "./harness.mjs";

const started = Date.now();
const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });
const sha256 = (bytes) => crypto.createHash("sha256").update(bytes).digest("hex");

const npmPackage = path.join(HERE, "node_modules/@scalar/api-reference");
const npmBundle = fs.readFileSync(path.join(npmPackage, "dist/browser/standalone.js"));
const vendored = fs.readFileSync(path.join(ROOT, "crates/auth-runtime/vendor/scalar/standalone.js"));
const npmVersion = JSON.parse(fs.readFileSync(path.join(npmPackage, "package.json"), "utf8")).version;
check("the npm package is the pinned version", npmVersion === process.env.SCALAR_VERSION, `${npmVersion} vs ${process.env.SCALAR_VERSION}`);
check("the vendored bundle is the npm package's, byte for byte", Buffer.compare(npmBundle, vendored) === 0, `${npmBundle.length} vs ${vendored.length} bytes`);
check("its sha256 is the binary's", sha256(npmBundle) === process.env.SCALAR_SHA256, sha256(npmBundle));

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "auth-browser-reference-"));
const port = await freePort();
// The fuzzer's server: every plugin this runtime serves, so every kind of operation is listed.
const config = path.join(scratch, "auth.toml");
fs.copyFileSync(path.join(ROOT, "tests/fixtures/fuzz/auth.toml"), config);
const server = await startServer({ config, args: ["--port", String(port)] });
const browser = await launchBrowser();
try {
  const document = await (await fetch(`${server.api}/open-api/generate-schema`)).json();
  const served = Buffer.from(await (await fetch(`${server.api}/reference/scalar-api-reference.js`)).arrayBuffer());
  check("the server serves the vendored bundle", Buffer.compare(served, vendored) === 0, `${served.length} bytes`);
  const operations = Object.entries(document.paths).flatMap(([p, item]) =>
    Object.keys(item).map((method) => ({ method: method.toUpperCase(), path: p })),
  );

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const leaving = [];
  await context.route("**/*", (route) => {
    const { hostname, protocol } = new URL(route.request().url());
    const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(hostname);
    if (loopback || protocol === "data:" || protocol === "blob:") return route.continue();
    leaving.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const response = await page.goto(`${server.api}/reference`);
  check("the page answers 200 text/html", response.status() === 200 && response.headers()["content-type"] === "text/html", response.status());
  // Rendered: an element shows each operation's path (Scalar's sidebar entries), once per method
  // at least. Script elements (the inline document) do not count.
  const shown = () =>
    page.evaluate(() => {
      const counts = {};
      for (const element of document.body.querySelectorAll("*")) {
        if (element.closest("script")) continue;
        // The innermost element with the text (Scalar breaks paths with <wbr>).
        const text = element.textContent.trim();
        if (text.length > 200 || [...element.children].some((c) => c.textContent.trim() === text)) continue;
        counts[text] = (counts[text] || 0) + 1;
      }
      return counts;
    });
  const methodsByPath = new Map();
  for (const { method, path: p } of operations) methodsByPath.set(p, [...(methodsByPath.get(p) || []), method]);
  const missingFrom = (counts) =>
    [...methodsByPath]
      .filter(([p, methods]) => (counts[p] || 0) < methods.length)
      .map(([p, methods]) => `${methods.join("/")} ${p}`);
  const deadline = Date.now() + 30_000;
  let missing = missingFrom(await shown());
  while (missing.length > 0 && Date.now() < deadline) {
    await page.waitForTimeout(250);
    missing = missingFrom(await shown());
  }
  const screenshot = process.env.SCREENSHOT || path.join(scratch, "reference.png");
  await page.screenshot({ path: screenshot, fullPage: false });
  check("a screenshot is kept", fs.statSync(screenshot).size > 10_000, screenshot);

  check(`every operation is listed (${operations.length})`, operations.length > 80 && missing.length === 0, missing.join(", "));
  check("the title is Scalar's, over our document", (await page.title()).includes("API"), await page.title());
  check("nothing left loopback", leaving.length === 0, leaving.join("\n"));
  check("no page errors", errors.length === 0, errors.join("\n"));
} finally {
  await browser.close();
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
const failed = checks.filter((c) => !c.ok);
console.log(JSON.stringify({ checks, failed: failed.length, ms: Date.now() - started }));
process.exit(failed.length ? 1 : 0);
