// A browser push service on 127.0.0.1 for the web app's tests (Chromium's own push service
// is out of reach headless). Like the Rust tests' one (crates/server/tests/common/
// push_service.rs) it checks each request as strictly as a real one: aes128gcm, TTL, the
// VAPID JWT (ES256 signature against the server's key, aud = this origin, exp within 24 h,
// sub) and decrypts the message with the browser's private key (RFC 8291). Requests that
// break a rule are answered 400 and kept in `violations`.
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from "node:crypto";
import { createServer } from "node:http";

const b64u = (buf) => Buffer.from(buf).toString("base64url");
const fromB64u = (text) => Buffer.from(text, "base64url");

/** A browser's push keys: the P-256 pair and the auth secret. */
export function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { ecdh, auth: randomBytes(16), p256dh: b64u(ecdh.getPublicKey()) };
}

function decrypt(body, keys) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const shared = keys.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), keys.ecdh.getPublicKey(), asPublic]);
  const ikm = Buffer.from(hkdfSync("sha256", shared, keys.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  if (padded[end - 1] !== 2) throw new Error("no final-record delimiter");
  return padded.subarray(0, end - 1);
}

function checkVapid(header, origin, serverKey) {
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(header ?? "");
  if (!match) throw new Error("Authorization is not vapid t=…, k=…");
  const [, jwt, k] = match;
  if (k !== serverKey) throw new Error("k is not the server's key");
  const [head, claims, signature] = jwt.split(".");
  if (JSON.parse(fromB64u(head)).alg !== "ES256") throw new Error("JWT alg is not ES256");
  const point = fromB64u(k);
  const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) }, format: "jwk" });
  const ok = verify("sha256", Buffer.from(`${head}.${claims}`), { key, dsaEncoding: "ieee-p1363" }, fromB64u(signature));
  if (!ok) throw new Error("the JWT's signature does not verify");
  const c = JSON.parse(fromB64u(claims));
  if (c.aud !== origin) throw new Error(`aud ${c.aud} is not ${origin}`);
  const now = Date.now() / 1000;
  if (!(c.exp > now && c.exp <= now + 24 * 3600)) throw new Error(`exp ${c.exp} is not within 24 h`);
  if (!/^(mailto:|https:\/\/)/.test(c.sub ?? "")) throw new Error(`sub ${c.sub} is not mailto: or https:`);
}

export async function startPushService(serverKey) {
  const browsers = new Map();
  const received = [];
  const violations = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      try {
        const name = new URL(req.url, "http://x").pathname.replace(/^\/push\//, "");
        const keys = browsers.get(name);
        if (!keys) throw new Error(`unknown subscription ${name}`);
        if (req.headers["content-encoding"] !== "aes128gcm") throw new Error("Content-Encoding is not aes128gcm");
        if (!/^\d+$/.test(req.headers.ttl ?? "")) throw new Error("no TTL");
        const body = Buffer.concat(chunks);
        if (body.length > 4096) throw new Error("over 4096 bytes");
        checkVapid(req.headers.authorization, service.origin, serverKey);
        received.push({ browser: name, urgency: req.headers.urgency, topic: req.headers.topic, plaintext: decrypt(body, keys) });
        res.writeHead(201, { location: "/message/1" }).end();
      } catch (error) {
        violations.push(String(error.message ?? error));
        res.writeHead(400).end(String(error.message ?? error));
      }
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const service = {
    origin: `http://127.0.0.1:${server.address().port}`,
    received,
    violations,
    /** A browser's subscription, as `PushSubscription.toJSON()` would give it. */
    browser(name) {
      const keys = browserKeys();
      browsers.set(name, keys);
      return { endpoint: `${service.origin}/push/${name}`, expirationTime: null, keys: { p256dh: keys.p256dh, auth: b64u(keys.auth) } };
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
  return service;
}
