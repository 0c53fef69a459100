// Sign-in load generator: full authorization-code + PKCE rounds and refresh grants, over HTTP,
// with Node's built-in fetch (no dependencies). Run by bench/flows.sh; usable on its own:
//   node bench/flows.mjs '{"issuer":"http://127.0.0.1:8080","client_id":"bench-web",
//     "client_secret":"...","redirect_uri":"http://127.0.0.1/cb","username":"bench",  (users bench-1..N)
//     "password":"...","mode":"login","seconds":10,"concurrency":8}'
// mode: login   authorize → login page → POST /login (argon2id) → code → /token, new browser each round
//       sso     authorize with a live session → code → /token (no password hashing)
//       refresh refresh_token grant, each worker rotating its own token family
// Prints one JSON line: {"mode","rounds","seconds","per_second","p50_ms","p99_ms","errors"}.
import { createHash, randomBytes } from "node:crypto";

const cfg = JSON.parse(process.argv[2]);
const basic = "Basic " + Buffer.from(`${encodeURIComponent(cfg.client_id)}:${encodeURIComponent(cfg.client_secret)}`).toString("base64");
const b64url = (buf) => buf.toString("base64url");

class Browser {
  constructor() { this.cookies = new Map(); }
  async go(url, init = {}) {
    const headers = { ...(init.headers || {}) };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }
}

const field = (html, name) => {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!m) throw new Error(`no ${name} field`);
  return m[1];
};

async function token(form) {
  const res = await fetch(`${cfg.issuer}/token`, {
    method: "POST",
    headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`token ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/// One authorization: sign in when the browser has no session, allow consent if asked.
async function authorize(browser, scope, username) {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash("sha256").update(verifier).digest());
  const q = new URLSearchParams({
    client_id: cfg.client_id, response_type: "code", redirect_uri: cfg.redirect_uri, scope,
    state: b64url(randomBytes(8)), code_challenge: challenge, code_challenge_method: "S256",
  });
  let res = await browser.go(`${cfg.issuer}/authorize?${q}`);
  for (let step = 0; step < 4; step++) {
    const loc = res.headers.get("location");
    if (res.status !== 303 || !loc) throw new Error(`unexpected ${res.status}: ${(await res.text()).slice(0, 200)}`);
    if (loc.startsWith(cfg.redirect_uri)) {
      const code = new URL(loc).searchParams.get("code");
      if (!code) throw new Error(`no code: ${loc}`);
      return token({ grant_type: "authorization_code", code, redirect_uri: cfg.redirect_uri, code_verifier: verifier });
    }
    const page = await browser.go(new URL(loc, cfg.issuer).toString());
    const html = await page.text();
    const form = { id: field(html, "id"), csrf_token: field(html, "csrf_token") };
    if (html.includes('name="password"')) {
      res = await browser.go(`${cfg.issuer}/login`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...form, username, password: cfg.password }),
      });
    } else {
      res = await browser.go(`${cfg.issuer}/consent`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...form, decision: "allow" }),
      });
    }
  }
  throw new Error("too many steps");
}

async function worker(username, deadline, latencies, errors) {
  const scope = "openid offline_access";
  let browser = new Browser();
  let refresh = null;
  if (cfg.mode !== "login") refresh = (await authorize(browser, scope, username)).refresh_token;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    try {
      if (cfg.mode === "login") {
        browser = new Browser();
        await authorize(browser, scope, username);
      } else if (cfg.mode === "sso") {
        await authorize(browser, scope, username);
      } else {
        refresh = (await token({ grant_type: "refresh_token", refresh_token: refresh })).refresh_token;
      }
      latencies.push(performance.now() - t0);
    } catch (e) {
      errors.push(String(e.message || e));
      if (cfg.mode === "refresh") refresh = (await authorize(browser, scope, username)).refresh_token;
    }
  }
}

// One round per user first: each consents once, remembered from then on.
const users = Array.from({ length: cfg.concurrency }, (_, i) => `${cfg.username}-${i + 1}`);
await Promise.all(users.map((u) => authorize(new Browser(), "openid offline_access", u)));
const latencies = [], errors = [];
const start = performance.now();
const deadline = start + cfg.seconds * 1000;
await Promise.all(users.map((u) => worker(u, deadline, latencies, errors)));
const seconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies.length ? +latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(2) : null;
console.log(JSON.stringify({
  mode: cfg.mode, rounds: latencies.length, seconds: +seconds.toFixed(2),
  per_second: +(latencies.length / seconds).toFixed(1), p50_ms: pct(0.5), p99_ms: pct(0.99),
  errors: errors.length, first_error: errors[0],
}));
if (errors.length) process.exitCode = 1;
