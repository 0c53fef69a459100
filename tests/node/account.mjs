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

import { createHmac } from 'node:crypto';
import { input as read, launch as start, shooter } from './chromium.mjs';

const input = read('account.mjs', ['base', 'username', 'password']);

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
  const browser = await start('account');
  await browser.page.setViewportSize({ width: 1000, height: 800 });
  return browser;
};
const shot = shooter(input.screenshot_dir);
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
  for (const b of browsers) await b.close();
}
