// The quickstart's web app: better-auth's official client, configured as the quickstart's
// auth.toml says: createAuthClient({ baseURL: "http://localhost:3000" }). The test runs the server on
// a free port and names it in the page's query (`?server=http://localhost:PORT`).
import { createAuthClient } from "better-auth/client";

const client = createAuthClient({ baseURL: new URLSearchParams(location.search).get("server") });

async function show() {
  const { data, error } = await client.getSession();
  const out = document.getElementById("session");
  out.textContent = error ? `error ${error.status} ${error.code}` : data ? `signed in as ${data.user.email}` : "signed out";
  out.dataset.ready = "1";
}

window.app = {
  signUp: (email, password) => client.signUp.email({ email, password, name: "Browser" }),
  signIn: (email, password) => client.signIn.email({ email, password }),
  signOut: () => client.signOut(),
  show,
};
show();
