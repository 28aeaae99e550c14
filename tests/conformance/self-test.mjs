// Runs the conformance suite against the real better-auth: starts reference-server.mjs with
// MIGRATE=1 on a fresh temporary SQLite file and outbox, runs conformance.mjs against it (extra
// arguments such as `--only csrf` are passed through), stops the server, exits with the suite's
// exit code.
//
// Usage:
//   node self-test.mjs [--only name,...]                   core suite (conformance.mjs)
//   node self-test.mjs --plugins [--only name,...]         plugin suite (plugins.mjs) against a
//                                                          server started with PLUGINS=1
//   node self-test.mjs --plugins-interop                   plugins-interop.mjs against two
//                                                          PLUGINS=1 servers on one database and
//                                                          secret (the first one migrates)
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auth-conformance-"));
const secret = "conformance-self-test-secret-0123456789abcdef";
const outbox = path.join(dir, "outbox.jsonl");
const dbFile = path.join(dir, "auth.sqlite");

let rest = process.argv.slice(2);
const mode = rest.includes("--plugins-interop") ? "plugins-interop" : rest.includes("--plugins") ? "plugins" : "core";
rest = rest.filter((a) => a !== "--plugins" && a !== "--plugins-interop");

const servers = [];
async function startServer(extraEnv) {
  const server = spawn(process.execPath, [path.join(here, "reference-server.mjs")], {
    env: { ...process.env, PORT: "0", DB_FILE: dbFile, OUTBOX: outbox, BETTER_AUTH_SECRET: secret, QUIET: "1", ...extraEnv },
    stdio: ["ignore", "pipe", "inherit"],
  });
  servers.push(server);
  let listening = false;
  server.on("exit", (code) => {
    if (!listening) {
      console.error(`reference server exited (${code}) before listening`);
      process.exit(2);
    }
  });
  const firstLine = await new Promise((resolve) => readline.createInterface({ input: server.stdout }).once("line", resolve));
  listening = true;
  return JSON.parse(firstLine).url;
}
const cleanup = async () => {
  for (const server of servers) {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
};

let suiteArgs;
if (mode === "plugins-interop") {
  // The first server creates the schema; the second one only opens the same file.
  const a = await startServer({ MIGRATE: "1", PLUGINS: "1" });
  const b = await startServer({ PLUGINS: "1" });
  suiteArgs = [path.join(here, "plugins-interop.mjs"), "--a", a, "--b", b, "--outbox", outbox, ...rest];
} else {
  const url = await startServer({ MIGRATE: "1", ...(mode === "plugins" ? { PLUGINS: "1" } : {}) });
  const script = mode === "plugins" ? "plugins.mjs" : "conformance.mjs";
  suiteArgs = [path.join(here, script), "--base-url", url, "--outbox", outbox, "--secret", secret, ...rest];
}

const suite = spawn(process.execPath, suiteArgs, { stdio: "inherit" });
const code = await new Promise((resolve) => suite.on("exit", (c) => resolve(c ?? 1)));
await cleanup();
process.exit(code);
