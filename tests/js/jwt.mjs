// Signs and verifies HS256 JWTs with jose 6 exactly as better-auth 1.7's signJWT/verifyJWT do,
// for tests/jwt.rs. Reads one JSON request on stdin:
//   {"secret": "...", "now": 1700000000,
//    "sign": [{"payload": {...}, "iat": 1700000000, "exp": 1700003600, "header": {...}?}],
//    "verify": ["token", ...]}
// and writes {"signed": ["token", ...], "verified": [{"payload": "<JSON text>"} | {"error": "code"}]}.
import { SignJWT, jwtVerify } from "jose";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const key = new TextEncoder().encode(request.secret);

const signed = [];
for (const { payload, iat, exp, header } of request.sign ?? []) {
  signed.push(
    await new SignJWT(payload)
      .setProtectedHeader(header ?? { alg: "HS256" })
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key),
  );
}

const verified = [];
for (const token of request.verify ?? []) {
  try {
    const { payload } = await jwtVerify(token, key, {
      currentDate: new Date(request.now * 1000),
    });
    verified.push({ payload: JSON.stringify(payload) });
  } catch (error) {
    verified.push({ error: error.code ?? String(error) });
  }
}

process.stdout.write(JSON.stringify({ signed, verified }));
