// better-auth 1.7.25 with its Kysely adapter on a PostgreSQL database our own DDL created,
// configured with `modelName` and `fields` as auth.toml names the tables and columns: the names
// the generated Kysely `Database` interface declares. Signs up, signs in, reads the session, and
// reads the user back through Kysely under the physical names. Prints the user's id as JSON;
// exits 1 on the first failure.
//
//   node kysely-adapter.mjs <options.json> <postgres://…>
import { readFileSync } from "node:fs";
import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";
import { betterAuth } from "better-auth";

const [file, url] = process.argv.slice(2);
const { models, userTable, emailColumn } = JSON.parse(readFileSync(file, "utf8"));
const pool = new pg.Pool({ connectionString: url });
const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
const auth = betterAuth({
  ...models,
  baseURL: "http://127.0.0.1:3000",
  secret: "a-secret-long-enough-for-better-auth-1234567890",
  database: { db, type: "postgres" },
  emailAndPassword: { enabled: true },
  logger: { disabled: true },
});

function fail(message) {
  console.error(message);
  process.exit(1);
}

const email = "kysely@example.com";
const signUp = await auth.api.signUpEmail({
  body: { email, password: "correct horse battery", name: "Kysely" },
});
const signIn = await auth.api.signInEmail({
  body: { email, password: "correct horse battery" },
  returnHeaders: true,
});
const cookie = signIn.headers.get("set-cookie")?.split(";")[0];
if (!cookie) fail("sign-in set no cookie");
const session = await auth.api.getSession({ headers: new Headers({ cookie }) });
if (session?.user?.id !== signUp.user.id) fail(`get-session: ${JSON.stringify(session)}`);
const row = await db
  .selectFrom(userTable)
  .select(["id", emailColumn])
  .where(emailColumn, "=", email)
  .executeTakeFirst();
if (row?.id !== signUp.user.id) fail(`select from ${userTable}: ${JSON.stringify(row)}`);
console.log(JSON.stringify({ user: signUp.user.id }));
await db.destroy();
