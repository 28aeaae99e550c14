// Browserless login: follows an authorization URL through oidc-provider's development login and
// consent forms, the way a browser would, and prints the URL the provider finally redirects to
// (the client's redirect URI with ?code=…&state=…&iss=…).
//
//   node login.mjs <authorization-url> <redirect-uri> [login]
//
// Cookies are kept per host and path; each HTML page's first <form> is submitted with its
// hidden fields (login and password filled in). Exits 1 with a message on anything unexpected,
// including an error redirect (which is printed too, so tests can inspect it).
const [authorizationUrl, redirectUri, login = 'alice'] = process.argv.slice(2);
if (!authorizationUrl || !redirectUri) {
  console.error('usage: node login.mjs <authorization-url> <redirect-uri> [login]');
  process.exit(2);
}

const cookies = new Map(); // "host path name" -> {host, path, name, value}

function remember(url, response) {
  const host = new URL(url).hostname;
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = '/';
    let gone = value === '';
    for (const attribute of attributes) {
      const [key, val = ''] = attribute.split('=');
      if (key.toLowerCase() === 'path') path = val || '/';
      if (key.toLowerCase() === 'max-age' && Number(val) <= 0) gone = true;
      if (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now()) gone = true;
    }
    const key = `${host} ${path} ${name}`;
    if (gone) cookies.delete(key);
    else cookies.set(key, { host, path, name, value });
  }
}

function cookieHeader(url) {
  const { hostname, pathname } = new URL(url);
  return [...cookies.values()]
    .filter((c) => c.host === hostname)
    .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

function firstForm(html, pageUrl) {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const action = /action="([^"]*)"/i.exec(form[1])?.[1]?.replaceAll('&amp;', '&') ?? pageUrl;
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[0])?.[1];
    if (!name) continue;
    let value = /value="([^"]*)"/i.exec(input[0])?.[1] ?? '';
    if (name === 'login') value = login;
    if (name === 'password') value = 'any-password';
    fields.set(name, value);
  }
  return { action: new URL(action, pageUrl).href, body: fields.toString() };
}

let url = authorizationUrl;
let method = 'GET';
let body;
for (let step = 0; step < 20; step += 1) {
  const headers = { cookie: cookieHeader(url) };
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, { method, body, headers, redirect: 'manual' });
  remember(url, response);
  method = 'GET';
  body = undefined;
  if (response.status >= 300 && response.status < 400) {
    const next = new URL(response.headers.get('location'), url).href;
    if (next.startsWith(redirectUri)) {
      console.log(next);
      process.exit(0);
    }
    url = next;
    continue;
  }
  const html = await response.text();
  const form = response.ok ? firstForm(html, url) : null;
  if (!form) {
    console.error(`unexpected ${response.status} at ${url}: ${html.slice(0, 500)}`);
    process.exit(1);
  }
  url = form.action;
  method = 'POST';
  body = form.body;
}
console.error('too many steps');
process.exit(1);
