// A real better-auth 1.7.25 server, configured like the one our Rust server must be
// indistinguishable from. Used as the known-correct target of conformance.mjs and, with the
// same DB_FILE and secret, as the other half of the Rust/Node interop test.
//
// Environment:
//   BETTER_AUTH_SECRET  required; signs cookies and email-verification JWTs
//   PORT                listen port on 127.0.0.1 (default 0 = any free port)
//   DB_FILE             SQLite file (default ./reference.sqlite); opened in WAL mode
//   OUTBOX              file to append one JSON line per mail (default: no file, stderr only)
//   MIGRATE=1           create/upgrade the schema with better-auth's own getMigrations first
//   QUIET=1             no request log on stderr
//   REDIS_URL           keep sessions and verification values in this Redis (better-auth's
//                       `secondaryStorage`, on the `redis` npm client)
//   REDIS_KEY_PREFIX    with REDIS_URL: use better-auth's official `@better-auth/redis-storage`
//                       (on ioredis) with this `keyPrefix` instead of the `redis` client
//   STORE_IN_DATABASE=1 with REDIS_URL: keep them in the database too
//   COOKIE_CACHE        compact | jwt | jwe: turns session.cookieCache on with that strategy
//   COOKIE_CACHE_MAX_AGE  its maxAge in seconds (default better-auth's 300)
//   PLUGINS=1           add, in this order, twoFactor({otpOptions:{sendOTP}}) (the OTP goes to
//                       the OUTBOX as a "two-factor-otp" line), username(), anonymous(),
//                       magicLink({expiresIn:5, storeToken:"hashed", sendMagicLink}) (a
//                       "magic-link" line), emailOTP({otpLength:8, expiresIn:8,
//                       storeOTP:"encrypted", changeEmail:{enabled:true}, sendVerificationOTP})
//                       (an "email-otp-<type>" line), bearer(), multiSession(), oneTimeToken(),
//                       lastLoginMethod({storeInDatabase:true}); MIGRATE=1 then creates their
//                       tables and columns too. The suite for them is plugins.mjs.
//   API_KEY=1           add (after PLUGINS=1's, when both are set) apiKey({enableSessionForAPIKeys:
//                       true, keyExpiration:{minExpiresIn:0}}) from @better-auth/api-key 1.7.5;
//                       MIGRATE=1 then creates its apikey table. The suite is api-key.mjs.
//   API_KEY_RATE_LIMIT  with API_KEY=1, "0": apiKey's rateLimit {enabled: false} (the benchmark)
//   JWT=1               add jwt({jwt:{expirationTime:"1h"}}) (after PLUGINS=1's, if set); MIGRATE=1
//                       creates its jwks table. The suite for it is jwt.mjs (jwt.toml is our side).
//   JWT_ALG             with JWT=1: jwks.keyPairConfig {alg: JWT_ALG} (ES256, ES512, RS256, PS256)
//   ADMIN=1             add admin({impersonationSessionDuration:600, defaultBanReason:"Broke the
//                       rules", bannedUserMessage:"You are banned here. Write to support.", ac,
//                       roles:{admin, user, support}}) with better-auth's default statements plus
//                       report:["read","export"], and a role support granting user:["list","get",
//                       "ban"] and report:["read"] (crates/auth-cli/tests/conformance/admin.toml);
//                       MIGRATE=1 then creates its columns. The suite for it is admin.mjs.
//   PHONE=1             add phoneNumber({sendOTP, sendPasswordResetOTP, signUpOnVerification:
//                       {getTempEmail: <digits>@phone.example.com, getTempName: the number},
//                       expiresIn: 5}), as crates/auth-cli/tests/conformance/phone-number.toml
//                       configures us; each code is one JSON line {"kind":"sms-otp"|
//                       "sms-reset-password","to","otp","at"} appended to SMS_LOG (default:
//                       the OUTBOX). The suite for it is phone-number.mjs.
//   PASSKEY=1           add passkey({rpID:"localhost", rpName:"Passkey conformance"}) from
//                       @better-auth/passkey 1.7.6 and trust http://localhost:* (the browser's
//                       page, tests/browser/passkey.mjs, is on a free localhost port), as
//                       crates/auth-cli/tests/conformance/passkey.toml configures us; MIGRATE=1
//                       creates its passkey table.
//   GENERIC_OAUTH=1     add genericOAuth({config:[{providerId:"corp", discoveryUrl:
//                       GENERIC_OAUTH_DISCOVERY_URL, clientId: CORP_CLIENT_ID, clientSecret:
//                       CORP_CLIENT_SECRET, scopes:["email","profile"], authentication:"basic"}]})
//                       as crates/auth-cli/tests/conformance/generic_oauth.rs configures us (the
//                       provider is tests/oidc/provider.mjs). The suite is generic-oauth.mjs.
//   ORGANIZATION=1      add organization({organizationLimit:3, membershipLimit:3, invitationLimit:4,
//                       invitationExpiresIn:3600, sendInvitationEmail}) as
//                       crates/auth-cli/tests/conformance/organization.toml configures us; each
//                       invitation is one outbox line {"kind":"invitation","to","subject","url",
//                       "token":<invitation id>,"at"}. MIGRATE=1 then creates its tables. The suite
//                       for it is organization.mjs.
//   ORGANIZATION_TEAMS=1 with ORGANIZATION=1: teams:{enabled:true, maximumTeams:3,
//                       maximumMembersPerTeam:2}, as crates/auth-cli/tests/conformance/
//                       organization-teams.toml configures us. The suite is organization-teams.mjs.
//   DYNAMIC_ACCESS_CONTROL=1  with ORGANIZATION=1: ac = better-auth's statements plus project:
//                       ["read","write","delete"], roles {owner: everything, admin, member} and
//                       dynamicAccessControl: {enabled: true, maximumRolesPerOrganization: 3}, as
//                       crates/auth-cli/tests/conformance/organization-roles.toml configures us;
//                       MIGRATE=1 creates the organizationRole table. The suite is
//                       organization-roles.mjs.
//
// Stdout: the first line is `{"url":"http://127.0.0.1:<port>"}`, printed once the schema is in
// place and requests are served. Everything else goes to stderr. SIGINT/SIGTERM close cleanly.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { toNodeHandler } from "better-auth/node";
// 1.7.25 exports getMigrations from "better-auth/db/migration" (not from "better-auth/db").
import { getMigrations } from "better-auth/db/migration";
import { createClient } from "redis";
import { Redis as IORedis } from "ioredis";
import { redisStorage } from "@better-auth/redis-storage";
import { apiKey } from "@better-auth/api-key";
import { passkey } from "@better-auth/passkey";
import { admin, anonymous, bearer, emailOTP, genericOAuth, jwt, lastLoginMethod, magicLink, multiSession, oneTimeToken, organization, phoneNumber, twoFactor, username } from "better-auth/plugins";
import { createAccessControl } from "better-auth/plugins/access";
import { adminAc, defaultStatements, userAc } from "better-auth/plugins/admin/access";
import { adminAc as orgAdminAc, defaultStatements as orgStatements, memberAc, ownerAc } from "better-auth/plugins/organization/access";

const log = (...args) => console.error("[reference-server]", ...args);
const fail = (message) => {
  log(message);
  process.exit(2);
};

const SECRET = process.env.BETTER_AUTH_SECRET;
if (!SECRET) fail("BETTER_AUTH_SECRET is required");
const PORT = process.env.PORT === undefined || process.env.PORT === "" ? 0 : Number(process.env.PORT);
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) fail(`invalid PORT ${process.env.PORT}`);
const DB_FILE = path.resolve(process.env.DB_FILE || "reference.sqlite");
const OUTBOX = process.env.OUTBOX ? path.resolve(process.env.OUTBOX) : null;
const MIGRATE = process.env.MIGRATE === "1";
const QUIET = process.env.QUIET === "1";
const REDIS_URL = process.env.REDIS_URL || null;
const STORE_IN_DATABASE = process.env.STORE_IN_DATABASE === "1";
const REDIS_KEY_PREFIX = process.env.REDIS_KEY_PREFIX ?? null;
const PLUGINS = process.env.PLUGINS === "1";
const API_KEY = process.env.API_KEY === "1";
const JWT = process.env.JWT === "1";
const ADMIN = process.env.ADMIN === "1";

// One line per mail, the same shape the Rust dev mailer writes:
// {"kind","to","subject","url","token","at"}. appendFileSync writes the whole line at once, so
// a reader polling the file never sees half a record.
const SUBJECTS = {
  "verify-email": "Verify your email address",
  "reset-password": "Reset your password",
  "change-email-confirmation": "Confirm your email change",
  "delete-account": "Confirm the deletion of your account",
};
function sendMail(kind, to, url, token) {
  writeOutbox({ kind, to, subject: SUBJECTS[kind], url, token, at: new Date().toISOString() });
}
function writeOutbox(record) {
  const line = JSON.stringify(record);
  if (OUTBOX) fs.appendFileSync(OUTBOX, line + "\n");
  if (!QUIET) log("mail", line);
}
// The two-factor OTP (PLUGINS=1) is one line with exactly five keys:
// {"kind":"two-factor-otp","to":<user email>,"subject":"Your two-factor code","otp":"<code>","at":<ISO date>}
function sendTwoFactorOtp(to, otp) {
  writeOutbox({ kind: "two-factor-otp", to, subject: "Your two-factor code", otp, at: new Date().toISOString() });
}
// The magic link (PLUGINS=1): {"kind":"magic-link","to","subject":"Your sign-in link","url","token","at"}.
function sendMagicLink(to, url, token) {
  writeOutbox({ kind: "magic-link", to, subject: "Your sign-in link", url, token, at: new Date().toISOString() });
}
// An email OTP (PLUGINS=1): {"kind":"email-otp-<type>","to","subject","otp","at"}, the subject per type.
const OTP_SUBJECTS = {
  "sign-in": "Your sign-in code",
  "email-verification": "Your email verification code",
  "forget-password": "Your password reset code",
  "change-email": "Your email change code",
};
function sendEmailOtp(to, otp, type) {
  writeOutbox({ kind: `email-otp-${type}`, to, subject: OTP_SUBJECTS[type], otp, at: new Date().toISOString() });
}

// Listen first: with PORT=0 the base URL (which better-auth needs at construction) is only
// known once the socket is bound. Requests arriving before the handler exists get a 503.
let handler = null;
const server = http.createServer((req, res) => {
  if (!QUIET) log(req.method, req.url);
  if (!handler) {
    res.writeHead(503, { "content-type": "text/plain" });
    return res.end("starting");
  }
  return handler(req, res);
});
server.keepAliveTimeout = 65_000;
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(PORT, "127.0.0.1", resolve);
}).catch((err) => fail(`cannot listen on 127.0.0.1:${PORT}: ${err.message}`));
const BASE_URL = `http://127.0.0.1:${server.address().port}`;

if (OUTBOX) fs.mkdirSync(path.dirname(OUTBOX), { recursive: true });
fs.mkdirSync(path.dirname(DB_FILE), { recursive: true });
const db = new Database(DB_FILE);
db.pragma("journal_mode = WAL");
// Another process (the Rust server in the interop test) may hold the write lock briefly.
db.pragma("busy_timeout = 5000");

const options = {
  appName: "auth-conformance-reference",
  baseURL: BASE_URL,
  secret: SECRET,
  database: db,
  telemetry: { enabled: false },
  trustedOrigins: ["http://localhost:3000", "http://127.0.0.1:5173", "https://*.example.com"],
  emailAndPassword: {
    enabled: true,
    sendResetPassword: async ({ user, url, token }) => sendMail("reset-password", user.email, url, token),
  },
  emailVerification: {
    sendVerificationEmail: async ({ user, url, token }) => sendMail("verify-email", user.email, url, token),
  },
  user: {
    changeEmail: { enabled: true, updateEmailWithoutVerification: false },
    deleteUser: {
      enabled: true,
      sendDeleteAccountVerification: async ({ user, url, token }) => sendMail("delete-account", user.email, url, token),
    },
    additionalFields: {
      plan: { type: "string", required: false, defaultValue: "free", input: false },
      nickname: { type: "string", required: false },
    },
  },
  rateLimit: { enabled: false },
  // Explicit, so that NODE_ENV=test (which turns the origin check off by default) cannot
  // silently disable the CSRF behaviour the suite checks.
  advanced: { disableOriginCheck: false, disableCSRFCheck: false },
};

if (PLUGINS) {
  options.plugins = [
    twoFactor({ otpOptions: { sendOTP: async ({ user, otp }) => sendTwoFactorOtp(user.email, otp) } }),
    username(),
    anonymous(),
    magicLink({ expiresIn: 5, storeToken: "hashed", sendMagicLink: async ({ email, url, token }) => sendMagicLink(email, url, token) }),
    emailOTP({
      otpLength: 8,
      expiresIn: 8,
      storeOTP: "encrypted",
      changeEmail: { enabled: true },
      sendVerificationOTP: async ({ email, otp, type }) => sendEmailOtp(email, otp, type),
    }),
    bearer(),
    multiSession(),
    oneTimeToken(),
    lastLoginMethod({ storeInDatabase: true }),
  ];
}

if (API_KEY) {
  // As crates/auth-cli/tests/conformance/api-key.toml: keys act as sessions, expiresIn may be
  // any number of seconds (minExpiresIn is in days), the rest better-auth's defaults.
  options.plugins = [
    ...(options.plugins ?? []),
    apiKey({
      enableSessionForAPIKeys: true,
      keyExpiration: { minExpiresIn: 0 },
      // API_KEY_RATE_LIMIT=0 (the side-by-side benchmark): keys are not rate limited.
      ...(process.env.API_KEY_RATE_LIMIT === "0" ? { rateLimit: { enabled: false } } : {}),
    }),
  ];
}
if (JWT) {
  const alg = process.env.JWT_ALG;
  const keys = alg ? { jwks: { keyPairConfig: { alg } } } : {};
  options.plugins = [...(options.plugins ?? []), jwt({ jwt: { expirationTime: "1h" }, ...keys })];
}
if (ADMIN) {
  const ac = createAccessControl({ ...defaultStatements, report: ["read", "export"] });
  const roles = {
    admin: adminAc,
    user: userAc,
    support: ac.newRole({ user: ["list", "get", "ban"], report: ["read"] }),
  };
  options.plugins = [
    ...(options.plugins ?? []),
    admin({
      impersonationSessionDuration: 600,
      defaultBanReason: "Broke the rules",
      bannedUserMessage: "You are banned here. Write to support.",
      ac,
      roles,
    }),
  ];
}
if (process.env.PHONE === "1") {
  const SMS_LOG = process.env.SMS_LOG ? path.resolve(process.env.SMS_LOG) : OUTBOX;
  if (!SMS_LOG) fail("PHONE=1 needs SMS_LOG or OUTBOX");
  // The same line the Rust log SMS sender writes.
  const sendSms = (kind, to, otp) =>
    fs.appendFileSync(SMS_LOG, JSON.stringify({ kind, to, otp, at: new Date().toISOString() }) + "\n");
  options.plugins = [
    ...(options.plugins ?? []),
    phoneNumber({
      expiresIn: 5,
      sendOTP: async ({ phoneNumber, code }) => sendSms("sms-otp", phoneNumber, code),
      sendPasswordResetOTP: async ({ phoneNumber, code }) => sendSms("sms-reset-password", phoneNumber, code),
      signUpOnVerification: {
        getTempEmail: (phoneNumber) => `${phoneNumber.replace(/[^0-9]/g, "")}@phone.example.com`,
        getTempName: (phoneNumber) => phoneNumber,
      },
    }),
  ];
}

if (process.env.PASSKEY === "1") {
  options.trustedOrigins = [...options.trustedOrigins, "http://localhost:*"];
  options.plugins = [...(options.plugins ?? []), passkey({ rpID: "localhost", rpName: "Passkey conformance" })];
}

if (process.env.GENERIC_OAUTH === "1") {
  const discoveryUrl = process.env.GENERIC_OAUTH_DISCOVERY_URL;
  if (!discoveryUrl) fail("GENERIC_OAUTH=1 needs GENERIC_OAUTH_DISCOVERY_URL");
  options.plugins = [
    ...(options.plugins ?? []),
    genericOAuth({
      config: [{
        providerId: "corp",
        discoveryUrl,
        clientId: process.env.CORP_CLIENT_ID,
        clientSecret: process.env.CORP_CLIENT_SECRET,
        scopes: ["email", "profile"],
        authentication: "basic",
      }],
    }),
  ];
}

// DYNAMIC_ACCESS_CONTROL=1's options of organization().
function dynamicAccessControl() {
  if (process.env.DYNAMIC_ACCESS_CONTROL !== "1") return {};
  const ac = createAccessControl({ ...orgStatements, project: ["read", "write", "delete"] });
  return {
    ac,
    roles: {
      owner: ac.newRole({ ...ownerAc.statements, project: ["read", "write", "delete"] }),
      admin: orgAdminAc,
      member: memberAc,
    },
    dynamicAccessControl: { enabled: true, maximumRolesPerOrganization: 3 },
  };
}

if (process.env.ORGANIZATION === "1") {
  options.plugins = [
    ...(options.plugins ?? []),
    organization({
      organizationLimit: 3,
      membershipLimit: 3,
      invitationLimit: 4,
      invitationExpiresIn: 3600,
      ...(process.env.ORGANIZATION_TEAMS === "1"
        ? { teams: { enabled: true, maximumTeams: 3, maximumMembersPerTeam: 2 } }
        : {}),
      ...dynamicAccessControl(),
      // The same line the Rust log mailer writes for an invitation (its link: invitation-url's
      // default, /accept-invitation/{id} at the server's origin).
      sendInvitationEmail: async ({ id, email }) =>
        writeOutbox({
          kind: "invitation",
          to: email,
          subject: "You are invited to join an organization",
          url: `${BASE_URL}/accept-invitation/${id}`,
          token: id,
          at: new Date().toISOString(),
        }),
    }),
  ];
}

let redis = null;
if (REDIS_URL && REDIS_KEY_PREFIX !== null) {
  redis = new IORedis(REDIS_URL);
  redis.on("error", (err) => log("redis", err.message));
  await redis.ping().catch((err) => fail(`cannot connect to ${REDIS_URL}: ${err.message}`));
  options.secondaryStorage = redisStorage({ client: redis, keyPrefix: REDIS_KEY_PREFIX });
} else if (REDIS_URL) {
  redis = createClient({ url: REDIS_URL });
  redis.on("error", (err) => log("redis", err.message));
  await redis.connect().catch((err) => fail(`cannot connect to ${REDIS_URL}: ${err.message}`));
  options.secondaryStorage = {
    get: (key) => redis.get(key),
    set: (key, value, ttl) => (ttl ? redis.set(key, value, { EX: ttl }) : redis.set(key, value)),
    delete: (key) => redis.del(key),
    getAndDelete: (key) => redis.getDel(key),
  };
}
if (REDIS_URL) {
  options.session = { ...options.session, storeSessionInDatabase: STORE_IN_DATABASE };
  options.verification = { storeInDatabase: STORE_IN_DATABASE };
}

if (process.env.COOKIE_CACHE) {
  const strategy = process.env.COOKIE_CACHE;
  if (!["compact", "jwt", "jwe"].includes(strategy)) fail(`invalid COOKIE_CACHE ${strategy}`);
  const maxAge = process.env.COOKIE_CACHE_MAX_AGE ? Number(process.env.COOKIE_CACHE_MAX_AGE) : undefined;
  options.session = { ...options.session, cookieCache: { enabled: true, strategy, maxAge } };
}

if (MIGRATE) {
  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options);
  await runMigrations();
  log(`migrated ${DB_FILE}: ${toBeCreated.length} table(s) created, ${toBeAdded.length} table(s) altered`);
}

const auth = betterAuth(options);
handler = toNodeHandler(auth);

let closing = false;
const shutdown = () => {
  if (closing) return;
  closing = true;
  server.close(() => {
    db.close();
    // ioredis disconnects, the `redis` client is destroyed.
    if (redis instanceof IORedis) redis.disconnect();
    else redis?.destroy();
    process.exit(0);
  });
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

process.stdout.write(JSON.stringify({ url: BASE_URL }) + "\n");
log(`better-auth listening on ${BASE_URL} (db ${DB_FILE}${OUTBOX ? `, outbox ${OUTBOX}` : ""})`);
