// better-auth 1.7.25's schema generation, as its CLI's `generate` runs it for the Kysely adapter
// (getMigrations + compileMigrations against an empty SQLite database), for the plugins this
// package ships: the side-by-side benchmark times this script against `auth-cli generate`.
// (The CLI itself, npm package `auth`, needs Node >= 22.12; passkey, api-key, oauth-provider,
// sso and stripe are separate packages and are not installed here.)
//
// Stdout: the SQL. Exit 1 if it is empty.
import Database from "better-sqlite3";
import { getMigrations } from "better-auth/db/migration";
import {
  admin,
  anonymous,
  deviceAuthorization,
  emailOTP,
  jwt,
  lastLoginMethod,
  magicLink,
  multiSession,
  organization,
  phoneNumber,
  siwe,
  twoFactor,
  username,
} from "better-auth/plugins";

const noop = async () => {};
const options = {
  baseURL: "http://127.0.0.1:3000",
  secret: "a-benchmark-secret-that-is-long-enough-0123456789",
  database: new Database(":memory:"),
  telemetry: { enabled: false },
  emailAndPassword: { enabled: true },
  rateLimit: { storage: "database" },
  plugins: [
    twoFactor(),
    organization({ teams: { enabled: true }, dynamicAccessControl: { enabled: true } }),
    admin(),
    username(),
    anonymous(),
    phoneNumber({ sendOTP: noop }),
    jwt(),
    multiSession(),
    magicLink({ sendMagicLink: noop }),
    emailOTP({ sendVerificationOTP: noop }),
    deviceAuthorization(),
    siwe({ domain: "example.com", getNonce: async () => "nonce", verifyMessage: async () => true }),
    lastLoginMethod({ storeInDatabase: true }),
  ],
};

const { compileMigrations } = await getMigrations(options);
const sql = await compileMigrations();
process.stdout.write(sql);
process.exit(sql.trim() ? 0 : 1);
