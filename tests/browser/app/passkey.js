// The passkey page: better-auth's official client with `passkeyClient` from
// @better-auth/passkey, its API on this page's own origin under `/<server>/api/auth` (the app
// server forwards each prefix to one auth server), so the page can switch servers while the
// browser keeps its cookies and its authenticator.
import { createAuthClient } from "better-auth/client";
import { passkeyClient } from "@better-auth/passkey/client";

const clients = {};
const client = (server) =>
  (clients[server] ??= createAuthClient({ baseURL: `${location.origin}/${server}/api/auth`, plugins: [passkeyClient()] }));

const plain = (r) => ({ data: r.data ?? null, error: r.error ? { status: r.error.status, code: r.error.code, message: r.error.message } : null });

window.app = {
  signUp: async (server, email, password) => plain(await client(server).signUp.email({ email, password, name: "Passkey" })),
  signOut: async (server) => plain(await client(server).signOut()),
  session: async (server) => plain(await client(server).getSession()),
  addPasskey: async (server, name) => plain(await client(server).passkey.addPasskey({ name })),
  signInPasskey: async (server) => plain(await client(server).signIn.passkey()),
  list: async (server) => plain(await client(server).passkey.listUserPasskeys()),
  rename: async (server, id, name) => plain(await client(server).passkey.updatePasskey({ id, name })),
  remove: async (server, id) => plain(await client(server).passkey.deletePasskey({ id })),
};
document.getElementById("ready").dataset.ready = "1";
