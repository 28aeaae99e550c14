//! The jwt suite (`tests/conformance/jwt.mjs`: `/token`, `/jwks` and `set-auth-jwt` through
//! better-auth's `jwtClient`, tokens verified by `jose`) against our server on SQLite,
//! PostgreSQL and MariaDB and against the real better-auth; and `jwt-interop.mjs` between the
//! two on one database and secret: either signs with the key the other made.

use super::*;

/// `reference-server.mjs`'s `JWT=1`, as auth.toml.
const JWT: &str = include_str!("jwt.toml");

/// The jwt suite has 20 checks.
const MIN_JWT_CHECKS: u64 = 20;

fn jwt_suite(project: &Project, server: &Running) {
    run_suite("jwt.mjs", MIN_JWT_CHECKS, project, server, &[]);
}

suite_everywhere!(JWT, jwt_suite, "conformance_jwt", &[("JWT", "1")]);

/// better-auth (which creates the schema) and our server on one SQLite file and secret, with
/// key pairs of `alg`: the first key either makes, the other signs with, and a token of either
/// verifies with either's key set.
fn interop(alg: &str) {
    if !node_ready() {
        return;
    }
    let config = format!("{JWT}\n[plugins.jwt.jwks]\nkey-pair-config = {{ alg = \"{alg}\" }}\n");
    let shared = Shared::start(&config, &[("JWT", "1"), ("JWT_ALG", alg)]);
    shared.run("jwt-interop.mjs", &["--db", &shared.db(), "--alg", alg], 12);
}

#[test]
fn jwt_interop_with_better_auth() {
    interop("EdDSA");
}

/// The other algorithms of better-auth's `keyPairConfig`: each server imports the other's
/// P-256, P-521 and RSA private JWKs.
#[test]
fn jwt_interop_with_better_auth_every_algorithm() {
    for alg in ["ES256", "ES512", "RS256", "PS256"] {
        interop(alg);
    }
}
