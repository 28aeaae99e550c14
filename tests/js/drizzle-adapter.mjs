// better-auth 1.7.25 with its drizzleAdapter over our generated Drizzle schema, on a SQLite file
// (sql.js, written back at the end), PostgreSQL or MySQL/MariaDB database our own DDL created: sign up, sign in, read the session (with the experimental joins,
// which use the schema's relations), update the user, list and revoke sessions. Prints the ids it
// wrote as JSON; exits 1 on the first failure.
//
//   node drizzle-adapter.mjs <schema.ts> <sqlite:PATH | postgres://… | mysql://…>
import { readFileSync, writeFileSync } from "node:fs";
import initSqlJs from "sql.js";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import pg from "pg";
import mysql from "mysql2/promise";
import { drizzle as postgresDrizzle } from "drizzle-orm/node-postgres";
import { drizzle as mysqlDrizzle } from "drizzle-orm/mysql2";
import { drizzle as sqliteDrizzle } from "drizzle-orm/sql-js";
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";

const [schemaFile, url] = process.argv.slice(2);
const module = schemaFile.replace(/\.ts$/, ".mjs");
const { outputText } = ts.transpileModule(readFileSync(schemaFile, "utf8"), {
  compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
});
writeFileSync(module, outputText);
const schema = await import(pathToFileURL(module).href);

const provider = url.startsWith("sqlite:") ? "sqlite" : url.startsWith("mysql") ? "mysql" : "pg";
const file = url.slice("sqlite:".length);
const SQL = provider === "sqlite" ? await initSqlJs() : null;
const pool =
  provider === "sqlite"
    ? new SQL.Database(readFileSync(file))
    : provider === "mysql"
      ? mysql.createPool(url)
      : new pg.Pool({ connectionString: url });
const db =
  provider === "sqlite"
    ? sqliteDrizzle(pool, { schema })
    : provider === "mysql"
      ? mysqlDrizzle(pool, { schema, mode: "default" })
      : postgresDrizzle(pool, { schema });
const auth = betterAuth({
  baseURL: "http://127.0.0.1:3000",
  secret: "a-secret-long-enough-for-better-auth-1234567890",
  database: drizzleAdapter(db, { provider, schema }),
  emailAndPassword: { enabled: true },
  experimental: { joins: true },
  logger: { disabled: true },
});

function fail(message) {
  console.error(message);
  process.exit(1);
}

const email = "drizzle@example.com";
const signUp = await auth.api.signUpEmail({
  body: { email, password: "correct horse battery", name: "Drizzle" },
});
if (signUp.user?.email !== email) fail(`sign-up: ${JSON.stringify(signUp)}`);
const signIn = await auth.api.signInEmail({
  body: { email, password: "correct horse battery" },
  returnHeaders: true,
});
const cookie = signIn.headers.get("set-cookie")?.split(";")[0];
if (!cookie) fail("sign-in set no cookie");
const headers = new Headers({ cookie });
const session = await auth.api.getSession({ headers });
if (session?.user?.id !== signUp.user.id) fail(`get-session: ${JSON.stringify(session)}`);
await auth.api.updateUser({ body: { name: "Renamed" }, headers });
const after = await auth.api.getSession({ headers, query: { disableCookieCache: true } });
if (after?.user?.name !== "Renamed") fail(`update-user: ${JSON.stringify(after)}`);
const sessions = await auth.api.listSessions({ headers });
if (sessions.length !== 2) fail(`list-sessions: ${JSON.stringify(sessions)}`);
const wrong = await auth.api
  .signInEmail({ body: { email, password: "wrong password!" } })
  .then(() => "signed in", (error) => error?.body?.code);
if (wrong !== "INVALID_EMAIL_OR_PASSWORD") fail(`wrong password: ${wrong}`);
await auth.api.revokeSessions({ headers });
if ((await auth.api.getSession({ headers })) !== null) fail("revoked session still valid");
console.log(JSON.stringify({ user: signUp.user.id, session: session.session.id }));
if (provider === "sqlite") {
  writeFileSync(file, pool.export());
} else {
  await pool.end();
}
