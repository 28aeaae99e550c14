// The shared browser harness: one Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// `auth-cli serve` started on a free loopback port, and a static server for the app page with
// better-auth's official client bundled into it by esbuild. Scenarios (quickstart.mjs, and later
// API keys and passkeys) import these helpers; everything listens on loopback only.
//
// Environment: AUTH_CLI (required) is the auth-cli binary; CHROMIUM overrides /usr/bin/chromium.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "../..");

/// The one browser of a run.
export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium" });
}

/// A free TCP port on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/// `auth-cli serve --config <config> <args…>`, resolved once it prints `serving <api url> …`,
/// with everything it printed until then. `stop()` ends it with SIGTERM.
export function startServer({ config, args = [], env = {}, log = () => {} }) {
  const binary = process.env.AUTH_CLI;
  if (!binary) throw new Error("AUTH_CLI must name the auth-cli binary");
  const child = spawn(binary, ["serve", "--config", config, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr = [];
  readline.createInterface({ input: child.stderr }).on("line", (line) => {
    stderr.push(line);
    log(line);
  });
  return new Promise((resolve, reject) => {
    const printed = [];
    child.on("exit", (code) =>
      reject(new Error(`auth-cli serve exited (${code}) before serving:\n${printed.join("\n")}\n${stderr.join("\n")}`)),
    );
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      printed.push(line);
      const url = line.startsWith("serving ") ? line.split(" ")[1] : null;
      if (url) {
        // The next-step lines follow the `serving` line at once.
        setTimeout(() => {
          child.removeAllListeners("exit");
          resolve({
            api: url,
            printed,
            stderr,
            stop: () =>
              new Promise((done) => {
                if (child.exitCode !== null) return done(child.exitCode);
                child.on("exit", done);
                child.kill("SIGTERM");
              }),
          });
        }, 100);
      }
    });
  });
}

/// Bundles a browser module (and what it imports from npm: better-auth's client) into one
/// ES module, in memory.
export async function bundle(entry) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/// A static server for the app page: `files` (path → {type, body}) on 127.0.0.1:`port`, reached
/// as `http://localhost:<port>` — a real loopback server, as a dev server (Vite) is, so Chromium
/// applies its real rules (cookies by site, CORS, local network access). `close()` stops it.
export function startApp(files, port) {
  const server = http.createServer((request, response) => {
    const file = files[new URL(request.url, "http://localhost").pathname];
    response.writeHead(file ? 200 : 404, { "content-type": file ? file.type : "text/plain" });
    response.end(file ? file.body : "not found");
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({
        origin: `http://localhost:${server.address().port}`,
        close: () => new Promise((done) => server.close(done)),
      }),
    );
  });
}

/// A copy of `source` with `replacements` ([from, to] pairs, each of which must occur) applied.
export function configCopy(source, target, replacements) {
  let text = fs.readFileSync(source, "utf8");
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${source} does not contain ${from}`);
    text = text.replaceAll(from, to);
  }
  fs.writeFileSync(target, text);
  return target;
}
