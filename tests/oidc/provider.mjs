// A real OpenID Connect provider (panva/oidc-provider) for the Rust OAuth client tests.
//
//   CLIENT_ID=… CLIENT_SECRET=… REDIRECT_URIS=uri1,uri2|* [PORT=0]
//   [TOKEN_ENDPOINT_AUTH_METHOD=client_secret_basic|client_secret_post|private_key_jwt]
//   [CLIENT_JWKS='{"keys":[…]}'] [PLAIN_OAUTH2=1]
//   node provider.mjs
//
// Listens on 127.0.0.1 (PORT 0 = a free port), registers one confidential client
// (client_secret_basic unless told otherwise, authorization_code + refresh_token, PKCE required)
// and signs id tokens with a fresh RS256 key. With private_key_jwt the client has no secret:
// it authenticates with assertions signed by the private half of a key in CLIENT_JWKS. With PLAIN_OAUTH2=1 it plays a plain OAuth 2.0
// server: token answers carry no id_token, so a client reads the user from userinfo (`/me`). The built-in development login and consent pages accept any login.
// The first line on stdout is {"issuer","client_id","client_secret"}; the process runs until it
// is killed or its stdin closes (so a crashed test run does not leave it behind).
import { createServer } from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const clientId = process.env.CLIENT_ID || 'rust-client';
const clientSecret = process.env.CLIENT_SECRET || 'rust-client-secret-0123456789abcdef';
// `*`: any redirect URI (servers on random ports sharing one provider, as the conformance suites).
const anyRedirectUri = process.env.REDIRECT_URIS === '*';
const redirectUris = anyRedirectUri
  ? ['http://127.0.0.1/any']
  : (process.env.REDIRECT_URIS || 'http://127.0.0.1:3000/api/auth/callback/oidc').split(',').filter(Boolean);

const tokenEndpointAuthMethod = process.env.TOKEN_ENDPOINT_AUTH_METHOD || 'client_secret_basic';
const plainOAuth2 = process.env.PLAIN_OAUTH2 === '1';

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'rust-tests-rs256', alg: 'RS256', use: 'sig' };

const privateKeyJwt = tokenEndpointAuthMethod === 'private_key_jwt';
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    ...(privateKeyJwt ? { jwks: JSON.parse(process.env.CLIENT_JWKS || '{"keys":[]}') } : { client_secret: clientSecret }),
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: tokenEndpointAuthMethod,
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['oidc-tests-cookie-key'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 86400, Grant: 86400 },
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: `${sub}@example.test`,
          email_verified: true,
          name: `User ${sub}`,
          picture: `https://example.test/${sub}.png`,
        };
      },
    };
  },
});
if (anyRedirectUri) provider.Client.prototype.redirectUriAllowed = () => true;
if (plainOAuth2) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && typeof ctx.body === 'object') delete ctx.body.id_token;
  });
}
provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));
server.on('request', provider.callback());

console.log(JSON.stringify({ issuer, client_id: clientId, client_secret: clientSecret }));

const stop = () => {
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
