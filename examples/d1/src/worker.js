// better-auth 1.7 in a Cloudflare Worker, on the D1 binding `DB`. The schema is not created here:
// it comes from auth-cli's migrations in migrations/d1, applied with `wrangler d1 migrations apply`.
import { betterAuth } from "better-auth";
import { admin } from "better-auth/plugins";
import { apiKey } from "@better-auth/api-key";

/** One better-auth instance per isolate (env is fixed for a deployment). */
let auth;

function createAuth(env) {
  const extras = new Set((env.AUTH_EXTRAS || "").split(",").map((s) => s.trim()).filter(Boolean));
  return betterAuth({
    baseURL: env.BASE_URL,
    secret: env.BETTER_AUTH_SECRET,
    // The D1 binding itself: better-auth's kysely adapter detects it and uses its D1 dialect.
    database: env.DB,
    telemetry: { enabled: false },
    emailAndPassword: { enabled: true },
    // Must match auth.toml: [plugins.admin], [plugins.api-key] and [models.user.fields.plan].
    plugins: [
      ...(extras.has("admin") ? [admin()] : []),
      ...(extras.has("apikey") ? [apiKey({ enableSessionForAPIKeys: true })] : []),
    ],
    user: extras.has("plan")
      ? { additionalFields: { plan: { type: "string", required: false, defaultValue: "free", input: false } } }
      : {},
  });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/api/auth/")) {
      auth ??= createAuth(env);
      return auth.handler(request);
    }
    if (url.pathname === "/") {
      return new Response("better-auth on D1: see /api/auth/ok\n", { headers: { "content-type": "text/plain" } });
    }
    return new Response("not found\n", { status: 404 });
  },
};
