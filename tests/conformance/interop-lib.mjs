// Shared by the interop scripts interop.mjs, cookie-cache.mjs and plugins-interop.mjs: their
// command line (`--name value` pairs), a plain fetch helper as an app on a trusted origin sends
// it, and the reporting: one JSON line per check {"name","ok","detail"}, then the summary line
// {"summary":true,"checks","passed","failed","failures"}; exit code 1 if a check failed.
import { ORIGIN, parseSetCookie } from "./lib.mjs";

const argv = process.argv.slice(2);
// The value after `name` on the command line, or undefined.
export function arg(name) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

// One request with Origin (unless `headers` has one), a JSON body if given, redirects followed.
// Returns { status, json (null unless the body is JSON), text, headers, setCookies } where
// setCookies are lib.mjs's parseSetCookie records ({ raw, name, value, attrs }).
export async function request(url, method, { body, headers = {} } = {}) {
  const h = { origin: ORIGIN, ...headers };
  if (body !== undefined) h["content-type"] = "application/json";
  const res = await fetch(url, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  const setCookies = res.headers.getSetCookie().map(parseSetCookie);
  return { status: res.status, json, text, headers: res.headers, setCookies };
}

const results = [];
export async function check(name, fn) {
  let ok = true;
  let detail = null;
  try {
    await fn();
  } catch (e) {
    ok = false;
    detail = String(e?.message || e);
  }
  results.push({ name, ok });
  process.stdout.write(JSON.stringify({ name, ok, detail }) + "\n");
}
export function expect(cond, message) {
  if (!cond) throw new Error(message);
}
// Prints the summary line and exits: 0 if every check passed, 1 otherwise.
export function finish() {
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(
    JSON.stringify({
      summary: true,
      checks: results.length,
      passed: results.length - failed.length,
      failed: failed.length,
      failures: failed.map((r) => r.name),
    }) + "\n",
  );
  process.exit(failed.length ? 1 : 0);
}

// One browser (a cookie jar) talking to any of `servers` (name → base URL): `call` answers
// `request`'s record with the server's name, after keeping the cookies it set.
export class Browser {
  constructor(servers) {
    this.servers = servers;
    this.jar = new Map();
  }
  async call(server, method, path, { body, headers = {} } = {}) {
    const h = { ...headers };
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookie) h.cookie = cookie;
    const r = await request(`${this.servers[server]}/api/auth${path}`, method, { body, headers: h });
    for (const c of r.setCookies) {
      if (c.value === "" || /;\s*max-age=0\b/i.test(c.raw)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return { server, ...r };
  }
}

// A `Browser` answer in one line, for failure messages.
export const showAnswer = (r) => `${r.server}: ${r.status} ${r.text.slice(0, 300)}`;

// `r` (a `Browser` answer) has `status`; returns its JSON body.
export function expectStatus(r, status, what) {
  expect(r.status === status, `${what}: expected ${status}, got ${showAnswer(r)}`);
  return r.json;
}
// `r` is an error with `status` and `code`.
export function expectCode(r, status, code, what) {
  expectStatus(r, status, what);
  expect(r.json?.code === code, `${what}: expected code ${code}, got ${showAnswer(r)}`);
}
