#!/usr/bin/env node
// Passkeys in headless Chromium with a virtual authenticator (the DevTools protocol's
// WebAuthn domain, through playwright-core's CDP session):
//
//   node tests/node/passkey.mjs '<json>'
//
// Input JSON: base (an issuer whose host is a domain, such as http://localhost:PORT),
// username, password, screenshot_dir (optional).
// Steps: sign in to /account with the password, add a passkey (and read the recovery codes);
// sign in again with the password and the passkey as second factor; again with the passkey
// alone ("Sign in with a passkey"); then clone the authenticator (its credential put back
// with the sign counter at zero) and see the clone refused; sign in with a recovery code and
// remove the passkey. Prints one JSON line with each page's text.
// Chromium: Debian's /usr/bin/chromium, or $SESAME_TEST_CHROMIUM. No browser is downloaded.

import { input as read, launch, shooter } from './chromium.mjs';

const input = read('passkey.mjs', ['base', 'username', 'password']);
const { context, page, close } = await launch('passkey');
await page.setViewportSize({ width: 1000, height: 800 });
const snap = shooter(input.screenshot_dir);
const shot = (name) => snap(page, name);
const password = async () => {
  await page.waitForSelector('input[name=username]');
  await page.fill('input[name=username]', input.username);
  await page.fill('input[name=password]', input.password);
  await page.click('form[action$="/login"] button[type=submit]');
};
const out = {};
try {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });

  await page.goto(`${input.base}/account`);
  await password();
  await page.waitForSelector('text=Add a passkey');
  await page.click('text=Add a passkey');
  await page.waitForSelector('button >> text=Create the passkey');
  await page.fill('input[name=name]', 'Laptop');
  await shot('add-passkey');
  await page.click('button >> text=Create the passkey');
  await page.waitForSelector('ol.codes');
  const codes = await page.$$eval('ol.codes code', (els) => els.map((e) => e.textContent));
  await page.click('text=I have kept them');
  await page.waitForSelector('text=Laptop');
  out.registered = await page.innerText('main');
  await shot('account-with-passkey');

  // The password, then the passkey as the second factor.
  await context.clearCookies();
  await page.goto(`${input.base}/account`);
  await password();
  await page.waitForSelector('button >> text=Use your passkey');
  await shot('second-factor-passkey');
  await page.click('button >> text=Use your passkey');
  await page.waitForSelector('text=Laptop');
  out.second_factor = await page.innerText('main');

  // The passkey alone.
  await context.clearCookies();
  await page.goto(`${input.base}/account`);
  await page.waitForSelector('button >> text=Sign in with a passkey');
  await shot('login-with-passkey');
  await page.click('button >> text=Sign in with a passkey');
  await page.waitForSelector('text=Laptop');
  out.passwordless = await page.innerText('main');

  // A clone: the same credential, its sign counter back at zero.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  const credential = credentials[0];
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credential.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: 0 } });
  await context.clearCookies();
  await page.goto(`${input.base}/account`);
  await page.waitForSelector('button >> text=Sign in with a passkey');
  await page.click('button >> text=Sign in with a passkey');
  await page.waitForSelector('.error');
  out.cloned = await page.innerText('main');
  await shot('clone-refused');

  // A recovery code instead, and the passkey removed.
  await password();
  await page.waitForSelector('input[name=code]');
  await page.fill('input[name=code]', codes[0]);
  await page.click('form[action$="/login/second-factor"] button[type=submit]');
  await page.waitForSelector('text=Laptop');
  await page.click('button[aria-label="Remove Laptop"]');
  await page.waitForSelector('text=a password alone signs you in');
  out.removed = await page.innerText('main');
  await shot('passkey-removed');
  console.log(JSON.stringify(out));
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(`passkey.mjs: ${e.message}\nat ${page.url()}\n${(await page.innerText('body').catch(() => '')).slice(0, 800)}`);
  process.exitCode = 1;
} finally {
  await close();
}
