#!/usr/bin/env node
// Drives the admin console in headless Chromium, as an operator would:
//
//   node tests/node/console.mjs '<json>'
//
// Input JSON: base (the issuer URL), username, password, client_id (to register),
// person and new_password (a user to manage), screenshot_dir (optional; NN-<page>.png of every
// console page visited).
// Steps: open /admin (which sends the browser through Sesame's own sign-in), sign in, read the
// dashboard, register a service client on the clients page and copy its secret with the page's
// copy button (read back from the clipboard), rename the client on its page, open the audit
// log filtered to that client; then find the person on the users page, sign out their first
// session, set their password, give them a name; add a connection, rotate the signing keys,
// and open the latest audit events.
// On success prints one JSON line: {"dashboard", "client_secret", "client", "audit", "person",
// "connections", "keys", "sessions"}, each a page's text but the secret.
// Chromium: Debian's /usr/bin/chromium, or $SESAME_TEST_CHROMIUM. No browser is downloaded.

import { input as read, launch, shooter } from './chromium.mjs';

const input = read('console.mjs', ['base', 'username', 'password', 'client_id', 'person', 'new_password']);
const { context, page, close } = await launch('console');
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: input.base });
const snap = shooter(input.screenshot_dir);
const shot = (name) => snap(page, name);
// A narrow window too: the console must be readable on a phone.
const phone = async (name) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(name);
  await page.setViewportSize({ width: 1280, height: 800 });
};
try {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${input.base}/admin`);
  await page.waitForSelector('input[name=username]');
  await shot('sign-in');
  await page.fill('input[name=username]', input.username);
  await page.fill('input[name=password]', input.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav.console');
  const dashboard = await page.innerText('main');
  await shot('dashboard');
  await phone('dashboard-phone');

  await page.click('nav.console >> text=Clients');
  await page.waitForSelector('select[name=kind]');
  await page.selectOption('select[name=kind]', 'service');
  await page.fill('input[name=client_name]', 'Made in the console');
  await page.fill('input[name=client_id]', input.client_id);
  await page.fill('input[name=scope]', 'api:read');
  await shot('clients');
  await page.click('form[action$="/admin/clients"] button[type=submit]');
  await page.waitForSelector('#client-secret');
  // The copy button is the script's (hidden without it); what it copies is what the page shows.
  await page.click('button[data-copy=client-secret]');
  await page.waitForSelector('button[data-copy=client-secret] >> text=Copied');
  const secret = await page.evaluate(() => navigator.clipboard.readText());
  if (secret !== (await page.innerText('#client-secret')).trim()) {
    throw new Error('the copied secret is not the one shown');
  }
  await shot('client-registered');

  await page.click(`a >> text=Open ${input.client_id}`);
  await page.waitForSelector('input[name=client_name]');
  await page.fill('input[name=client_name]', 'Renamed in the console');
  await page.fill('input[name=scope]', 'api:read api:write');
  await shot('client');
  await Promise.all([page.waitForNavigation(), page.click('button >> text=Save')]);
  // The page as saved, read back after the redirect.
  const client = await page.inputValue('input[name=client_name]');
  await shot('client-saved');

  await page.click('nav.console >> text=Audit log');
  await page.waitForSelector('form.filters');
  await page.fill('input[name=target]', `client:${input.client_id}`);
  await page.click('form.filters button[type=submit]');
  await page.waitForSelector('table');
  const audit = await page.innerText('main');
  await shot('audit');
  await phone('audit-phone');

  await page.click('nav.console >> text=Users');
  await page.fill('input[name=search]', input.person);
  await page.click('form.filters button[type=submit]');
  await shot('users');
  await page.click(`table >> text=${input.person}`);
  await page.waitForSelector('input[name=password]');
  await shot('user');
  // End the person's session (they signed in before this), then give them a new password.
  await page.click('table form[action$="/revoke"] button[type=submit]');
  await page.waitForSelector('input[name=password]');
  await shot('user-signed-out');
  await page.fill('input[name=password]', input.new_password);
  await page.click('form[action$="/password"] button[type=submit]');
  await page.waitForSelector('input[name=password]');
  await shot('user-password-set');
  await page.fill('input[name=name]', 'Bob Builder');
  await page.click('button >> text=Save the profile');
  await page.waitForSelector('input[name=password]');
  const person = await page.innerText('main');
  await shot('user-profile-saved');
  await phone('user-phone');

  await page.click('nav.console >> text=Connections');
  await page.waitForSelector('input[name=display_name]');
  await page.fill('input[name=id]', 'corp');
  await page.fill('input[name=display_name]', 'Corp SSO');
  await page.fill('input[name=issuer]', 'https://corp.example');
  await page.fill('input[name=client_id]', 'sesame-at-corp');
  await page.fill('input[name=client_secret]', 'upstream secret');
  await page.click('form[action$="/admin/connections"] button[type=submit]');
  await page.waitForSelector('table');
  const connections = await page.innerText('main');
  await shot('connections');

  await page.click('nav.console >> text=Keys');
  await page.waitForSelector('table');
  await shot('keys');
  await page.click('button >> text=Rotate the signing keys');
  await page.waitForSelector('table');
  const keys = await page.innerText('main');
  await shot('keys-rotated');

  await page.click('nav.console >> text=Audit log');
  await page.waitForSelector('table');
  const sessions = await page.innerText('main');
  await shot('audit-latest');
  console.log(JSON.stringify({
    dashboard, client_secret: secret, client, audit, person, connections, keys, sessions,
  }));
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(`console.mjs: ${e.message}\nat ${page.url()}\n${(await page.innerText('body').catch(() => '')).slice(0, 800)}`);
  process.exitCode = 1;
} finally {
  await close();
}
