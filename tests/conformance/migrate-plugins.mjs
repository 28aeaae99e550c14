// Creates a database the way a better-auth 1.7.25 application does: its own migrator
// (getMigrations + runMigrations) with email and password and the plugins named in PLUGINS, on
// SQLite, PostgreSQL or MySQL/MariaDB. Then, if SEED is set, a user that two-factor would
// challenge and admin has banned for years (password "password123", hashed by better-auth; the
// ban ends in 2037: better-auth makes dates `timestamp(3)` on MySQL, which stops at 2038).
//
// Environment:
//   DATABASE   sqlite:PATH | postgres://… | mysql://…
//   PLUGINS    comma-separated better-auth plugin ids among two-factor, admin, organization
//   SEED       an email address for the seeded user (optional)
//
// Stdout: one line `{"tables":[…]}` when done. Exit 2 on bad input.
import Database from "better-sqlite3";
import pg from "pg";
import { createPool } from "mysql2/promise";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { admin, organization, twoFactor } from "better-auth/plugins";

const fail = (message) => {
  console.error(`[migrate-plugins] ${message}`);
  process.exit(2);
};

const url = process.env.DATABASE ?? fail("DATABASE is required");
const database = url.startsWith("sqlite:")
  ? new Database(url.slice("sqlite:".length))
  : url.startsWith("postgres")
    ? new pg.Pool({ connectionString: url })
    : url.startsWith("mysql")
      ? createPool(url)
      : fail(`unknown database ${url}`);
const known = { "two-factor": twoFactor, admin, organization };
const plugins = (process.env.PLUGINS ?? "")
  .split(",")
  .filter(Boolean)
  .map((id) => (known[id] ?? fail(`unknown plugin ${id}`))());

const options = {
  baseURL: "http://127.0.0.1:3000",
  secret: "a-migration-secret-that-is-long-enough-0123456789",
  database,
  telemetry: { enabled: false },
  emailAndPassword: { enabled: true },
  plugins,
};
const { runMigrations, toBeCreated, toBeAdded } = await getMigrations(options);
await runMigrations();

if (process.env.SEED) {
  const auth = betterAuth(options);
  const { user } = await auth.api.signUpEmail({
    body: { name: "Guarded", email: process.env.SEED, password: "password123" },
  });
  const ctx = await auth.$context;
  const update = {};
  if (plugins.some((p) => p.id === "two-factor")) update.twoFactorEnabled = true;
  if (plugins.some((p) => p.id === "admin")) {
    update.banned = true;
    update.banExpires = new Date("2037-12-31T00:00:00.000Z");
  }
  await ctx.internalAdapter.updateUser(user.id, update);
}

console.log(JSON.stringify({ tables: [...toBeCreated.map((t) => t.table), ...toBeAdded.map((t) => t.table)] }));
if (typeof database.end === "function") await database.end();
else database.close();
