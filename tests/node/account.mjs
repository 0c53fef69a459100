#!/usr/bin/env node
// Drives the account page in headless Chromium, as its owner would:
//
//   node tests/node/account.mjs '<json>'
//
// Input JSON: base (the issuer URL), username, password, screenshot_dir (optional).
// Steps: open /account (through Sesame's sign-in), add an authenticator app: read the key the
// enrolment page shows, compute the app's code here (RFC 6238), confirm it, read the recovery
// codes; then in a fresh browser sign in again with the password and the next code, and see
// the authenticator listed. Prints one JSON line: {"account": text, "codes": [...]}.
// Chromium: Debian's /usr/bin/chromium, or $SESAME_TEST_CHROMIUM. No browser is downloaded.

import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const input = JSON.parse(process.argv[2] ?? '{}');
for (const key of ['base', 'username', 'password']) {
  if (typeof input[key] !== 'string') {
    console.error(`account.mjs: "${key}" is required`);
    process.exit(1);
  }
}

/** RFC 4648 base32, spaces ignored. */
function fromBase32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/\s+/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 with SHA-1, six digits, 30-second steps: the code for `step`. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16)
    | (mac[offset + 2] << 8) | mac[offset + 3]) % 1_000_000;
  return String(number).padStart(6, '0');
}
const stepNow = () => Math.floor(Date.now() / 1000 / 30);

const launch = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sesame-account-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.SESAME_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  await page.setViewportSize({ width: 1000, height: 800 });
  return { dir, context, page };
};
let shots = 0;
const shot = async (page, name) => {
  if (!input.screenshot_dir) return;
  shots += 1;
  await mkdir(input.screenshot_dir, { recursive: true });
  await page.screenshot({
    path: path.join(input.screenshot_dir, `${String(shots).padStart(2, '0')}-${name}.png`),
    fullPage: true,
  });
};
const signIn = async (page) => {
  await page.goto(`${input.base}/account`);
  await page.waitForSelector('input[name=username]');
  await page.fill('input[name=username]', input.username);
  await page.fill('input[name=password]', input.password);
  await page.click('button[type=submit]');
};

const browsers = [];
let current;
try {
  current = await launch();
  browsers.push(current);
  let { page } = current;
  await signIn(page);
  await page.waitForSelector('text=Second factors');
  await shot(page, 'account-none');
  await page.click('text=Add an authenticator app');
  await page.waitForSelector('figure.qr svg');
  const key = (await page.innerText('code.key')).trim();
  const secret = fromBase32(key);
  await page.fill('input[name=name]', 'My phone');
  await page.fill('input[name=code]', totp(secret, stepNow()));
  await shot(page, 'enrol');
  await page.click('button >> text=Confirm');
  await page.waitForSelector('ol.codes');
  const codes = await page.$$eval('ol.codes code', (els) => els.map((e) => e.textContent));
  await shot(page, 'recovery-codes');
  await page.click('text=I have kept them');
  await page.waitForSelector('text=My phone');
  await shot(page, 'account-with-factor');

  // Another browser: the password, then the app's next code (the one shown now is spent).
  current = await launch();
  browsers.push(current);
  page = current.page;
  await signIn(page);
  await page.waitForSelector('input[name=code]');
  await shot(page, 'second-factor');
  await page.fill('input[name=code]', totp(secret, stepNow() + 1));
  await page.click('button[type=submit]');
  await page.waitForSelector('text=My phone');
  const account = await page.innerText('main');
  await shot(page, 'signed-in-with-code');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'account-phone');
  console.log(JSON.stringify({ account, codes }));
} catch (e) {
  if (current) await shot(current.page, 'failure').catch(() => {});
  const page = current?.page;
  console.error(`account.mjs: ${e.message}\nat ${page?.url()}\n${(await page?.innerText('body').catch(() => '') ?? '').slice(0, 800)}`);
  process.exitCode = 1;
} finally {
  for (const b of browsers) {
    await b.context.close();
    await rm(b.dir, { recursive: true, force: true });
  }
}
