// Runs the conformance suite against the real better-auth: starts reference-server.mjs with
// MIGRATE=1 on a fresh temporary SQLite file and outbox, runs conformance.mjs against it (extra
// arguments such as `--only csrf` are passed through), stops the server, exits with the suite's
// exit code. Usage: node self-test.mjs [--only name,...]
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

const server = spawn(process.execPath, [path.join(here, "reference-server.mjs")], {
  env: { ...process.env, PORT: "0", DB_FILE: path.join(dir, "auth.sqlite"), OUTBOX: outbox, BETTER_AUTH_SECRET: secret, MIGRATE: "1", QUIET: "1" },
  stdio: ["ignore", "pipe", "inherit"],
});
const cleanup = async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
};
server.on("exit", (code) => {
  if (!url) {
    console.error(`reference server exited (${code}) before listening`);
    process.exit(2);
  }
});

let url = null;
const firstLine = await new Promise((resolve) => readline.createInterface({ input: server.stdout }).once("line", resolve));
url = JSON.parse(firstLine).url;

const suite = spawn(process.execPath, [path.join(here, "conformance.mjs"), "--base-url", url, "--outbox", outbox, "--secret", secret, ...process.argv.slice(2)], {
  stdio: "inherit",
});
const code = await new Promise((resolve) => suite.on("exit", (c) => resolve(c ?? 1)));
await cleanup();
process.exit(code);
