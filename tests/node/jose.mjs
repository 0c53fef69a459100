// An independent JOSE implementation (panva's jose) for Sesame's e2e tests, so that what Sesame
// encrypts and signs is checked by code Sesame did not write.
//
//   node jose.mjs keys   prints {"public": JWKS, "private": JWKS}: a fresh RSA-OAEP-256 key and a
//                        P-256 ECDH-ES key, as a client would register them.
//   node jose.mjs open   reads {"token", "private", "jwks", "issuer", "audience"} on stdin;
//                        a JWE is decrypted with the private key its header names; a JWS, or a
//                        JWT nested in the JWE (cty JWT), is verified against Sesame's JWKS with
//                        its issuer and audience; prints {"header", "encrypted", "signed",
//                        "claims"}.
import * as jose from 'jose';

async function keys() {
  const rsa = await jose.generateKeyPair('RSA-OAEP-256', { extractable: true, modulusLength: 2048 });
  const ec = await jose.generateKeyPair('ECDH-ES', { extractable: true, crv: 'P-256' });
  const pub = [];
  const priv = [];
  for (const [kid, pair, alg] of [['enc-rsa', rsa, 'RSA-OAEP-256'], ['enc-ec', ec, undefined]]) {
    const meta = { kid, use: 'enc', ...(alg ? { alg } : {}) };
    pub.push({ ...(await jose.exportJWK(pair.publicKey)), ...meta });
    priv.push({ ...(await jose.exportJWK(pair.privateKey)), ...meta });
  }
  return { public: { keys: pub }, private: { keys: priv } };
}

async function verify(jwt, input) {
  const { payload } = await jose.jwtVerify(jwt, jose.createLocalJWKSet(input.jwks), {
    issuer: input.issuer,
    audience: input.audience,
  });
  return payload;
}

async function open(input) {
  const header = jose.decodeProtectedHeader(input.token);
  if (input.token.split('.').length === 3) {
    return { header, encrypted: false, signed: true, claims: await verify(input.token, input) };
  }
  const jwk = input.private.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no private key for kid ${header.kid}`);
  const alg = header.alg;
  const key = await jose.importJWK({ ...jwk, alg }, alg);
  const { plaintext } = await jose.compactDecrypt(input.token, key, {
    keyManagementAlgorithms: [alg],
  });
  const text = new TextDecoder().decode(plaintext);
  if (header.cty !== 'JWT') {
    return { header, encrypted: true, signed: false, claims: JSON.parse(text) };
  }
  return { header, encrypted: true, signed: true, claims: await verify(text, input) };
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const command = process.argv[2];
try {
  const result = command === 'keys' ? await keys() : await open(await readStdin());
  process.stdout.write(JSON.stringify(result));
} catch (e) {
  process.stderr.write(`jose.mjs ${command}: ${e.stack || e}\n`);
  process.exit(1);
}
