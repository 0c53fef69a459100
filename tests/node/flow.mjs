#!/usr/bin/env node
// Drives one OAuth2/OIDC authorization flow through Sesame's pages in headless Chromium.
//
//   node tests/node/flow.mjs '<json>'
//
// Input JSON:
//   start_url      an /authorize URL on the Sesame server (required)
//   start_click    optional: a CSS selector clicked on the start page before the flow (the
//                  demo's page shows the request first, with a link that sends it)
//   username       what to type on the login page (required)
//   password       likewise (required)
//   consent        "allow" | "deny" | "skip"; "skip" means no consent page is expected (required)
//   expect_prefix  URL prefix of the client's redirect receiver; the flow is done when the
//                  page's URL starts with it (required unless expect_text is given)
//   expect_text    optional: the flow is done when the page's text contains it (the device
//                  page ends on Sesame itself, not at a receiver)
//   user_code      optional: what to type on the device page's code form
//   continue_with  optional: on the first login page that offers it, follow the
//                  "Continue with <continue_with>" link (an upstream provider) instead of typing
//   screenshot_dir optional; full-page screenshots NN-<page>.png of every page the driver
//                  acts on (login, consent) and of the final page (result); on failure NN-failure.png
//   timeout_ms     optional, default 20000: the whole flow, launch excluded
//
// On success prints one JSON line to stdout and exits 0:
//   {"final_url": "...", "body": "<document.body.innerText of the final page>", "pages": ["login", "consent"]}
// On failure prints a readable message to stderr (with the current URL and a snippet of the page
// text) and exits 1.
//
// Pages are recognised by their forms, never by their titles:
//   code    has a visible input[name=user_code] -> fill user_code, click button[type=submit]
//   login   has input[name=username]   -> fill username and password, click button[type=submit]
//   consent has button[name=decision]  -> click button[name=decision][value=allow|deny]
// Anything else (a redirect in flight, the form_post page that submits itself by a script) is
// waited on until the URL starts with expect_prefix.
//
// Chromium: Debian's /usr/bin/chromium, or $SESAME_TEST_CHROMIUM. No browser is downloaded.

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these Chromium phones home at start-up, and the closed network refuses it.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// An unrecognised page with no form on it that sits still this long is a dead end (an error
// page), not a step of the flow: fail then instead of at the timeout.
const STALL_MS = 3000;
const POLL_MS = 50;

class FlowError extends Error {}

function parseInput(argv) {
  if (argv.length !== 1) {
    throw new FlowError(`usage: node flow.mjs '<json>' (got ${argv.length} arguments)`);
  }
  let input;
  try {
    input = JSON.parse(argv[0]);
  } catch (e) {
    throw new FlowError(`the argument is not JSON: ${e.message}`);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new FlowError('the argument must be a JSON object');
  }
  if (typeof input.expect_text === 'string' && input.expect_prefix === undefined) input.expect_prefix = null;
  for (const key of ['start_url', 'username', 'password', 'consent']) {
    if (typeof input[key] !== 'string') {
      throw new FlowError(`"${key}" is required and must be a string`);
    }
  }
  if (!['allow', 'deny', 'skip'].includes(input.consent)) {
    throw new FlowError(`"consent" must be "allow", "deny" or "skip", not ${JSON.stringify(input.consent)}`);
  }
  if (input.expect_prefix !== null && (typeof input.expect_prefix !== 'string' || input.expect_prefix === '')) {
    throw new FlowError('"expect_prefix" must be a non-empty string (or give "expect_text")');
  }
  if (input.start_click !== undefined && typeof input.start_click !== 'string') {
    throw new FlowError('"start_click" must be a CSS selector string');
  }
  if (input.screenshot_dir !== undefined && input.screenshot_dir !== null && typeof input.screenshot_dir !== 'string') {
    throw new FlowError('"screenshot_dir" must be a string');
  }
  const timeout = input.timeout_ms ?? 20000;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new FlowError('"timeout_ms" must be a positive number');
  }
  return { ...input, timeout_ms: timeout };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const input = parseInput(process.argv.slice(2));
  let deadline = Infinity; // set once Chromium is up: timeout_ms does not count the launch
  const remaining = () => Math.max(1, deadline - Date.now());

  const executablePath = process.env.SESAME_TEST_CHROMIUM || '/usr/bin/chromium';
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'sesame-chromium-'));
  const pages = [];
  const consoleLines = [];
  let shots = 0;
  let context;
  let page;

  const screenshot = async (name) => {
    if (!input.screenshot_dir) return;
    shots += 1;
    await mkdir(input.screenshot_dir, { recursive: true });
    const file = path.join(input.screenshot_dir, `${String(shots).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: remaining() });
  };

  try {
    try {
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath,
        headless: true,
        args: CHROMIUM_ARGS,
        // Test servers may use self-signed certificates.
        ignoreHTTPSErrors: true,
        timeout: 30000,
      });
    } catch (e) {
      throw new FlowError(`could not launch Chromium at ${executablePath}: ${e.message}`);
    }
    page = context.pages()[0] ?? (await context.newPage());
    deadline = Date.now() + input.timeout_ms;
    page.on('console', (m) => {
      const where = m.location()?.url || '';
      if (where.endsWith('/favicon.ico')) return;
      if (m.type() === 'error' || m.type() === 'warning') {
        consoleLines.push(`console ${m.type()}: ${m.text().trim()}${where ? ` (${where})` : ''}`);
      }
    });
    page.on('pageerror', (e) => consoleLines.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (r.isNavigationRequest()) consoleLines.push(`navigation failed: ${r.url()} (${r.failure()?.errorText})`);
    });

    try {
      await page.goto(input.start_url, { waitUntil: 'domcontentloaded', timeout: remaining() });
    } catch (e) {
      throw new FlowError(`could not open start_url ${input.start_url}: ${firstLine(e.message)}`);
    }
    if (input.start_click) {
      await screenshot('start');
      await page.click(input.start_click, { timeout: remaining() });
    }

    // Each page the driver acts on is marked, so that the old document, still shown until the
    // submission's answer replaces it, is not taken for a new page.
    let lastActed = null;
    for (;;) {
      if (Date.now() >= deadline) {
        throw new FlowError(
          `timed out after ${input.timeout_ms} ms waiting for a URL starting with ${input.expect_prefix}`,
        );
      }
      if (input.expect_prefix && page.url().startsWith(input.expect_prefix)) break;
      if (input.expect_text) {
        const text = await page.evaluate(() => (document.body ? document.body.innerText : '')).catch(() => '');
        if (text.includes(input.expect_text)) break;
      }

      let state;
      try {
        state = await page.evaluate(() => {
          if (!window.__sesameFlowSeen) window.__sesameFlowSeen = Date.now();
          return {
            acted: Boolean(window.__sesameFlowActed),
            code: document.querySelector('input[name=user_code]:not([type=hidden])') !== null,
            federation: Array.from(document.querySelectorAll('a.button')).map((a) => a.textContent.trim()),
            login: document.querySelector('input[name=username]') !== null,
            consent: document.querySelector('button[name=decision]') !== null,
            forms: document.forms.length,
            ready: document.readyState,
            age: Date.now() - window.__sesameFlowSeen,
          };
        });
      } catch {
        // The document is being replaced (navigation in flight): look again.
        await sleep(POLL_MS);
        continue;
      }

      const wantsUpstream =
        input.continue_with && !pages.includes('federation') && state.federation.includes(`Continue with ${input.continue_with}`);
      const kind = state.acted
        ? null
        : wantsUpstream
          ? 'federation'
          : state.code
          ? 'code'
          : state.login
            ? 'login'
            : state.consent
              ? 'consent'
              : null;
      if (kind === null) {
        if (!state.acted && state.forms === 0 && state.ready === 'complete' && state.age > STALL_MS) {
          throw new FlowError(
            `stuck on a page that is neither the login page, the consent page nor the receiver (${input.expect_prefix})`,
          );
        }
        await sleep(POLL_MS);
        continue;
      }

      if (kind === lastActed) {
        throw new FlowError(`the ${kind} page was shown again after submitting it`);
      }
      if (kind === 'consent' && input.consent === 'skip') {
        throw new FlowError('a consent page appeared, but consent "skip" expected none');
      }

      await page.waitForLoadState('load', { timeout: remaining() }).catch(() => {});
      pages.push(kind);
      await screenshot(kind);
      await page.evaluate(() => {
        window.__sesameFlowActed = true;
      });
      lastActed = kind;
      if (kind === 'federation') {
        await page
          .getByRole('link', { name: `Continue with ${input.continue_with}` })
          .click({ timeout: remaining(), noWaitAfter: true });
      } else if (kind === 'code') {
        if (!input.user_code) throw new FlowError('a device code page appeared, but no "user_code" was given');
        await page.locator('input[name=user_code]').fill(input.user_code, { timeout: remaining() });
        await page.locator('button[type=submit]').first().click({ timeout: remaining(), noWaitAfter: true });
      } else if (kind === 'login') {
        await page.locator('input[name=username]').fill(input.username, { timeout: remaining() });
        await page.locator('input[name=password]').fill(input.password, { timeout: remaining() });
        await page.locator('button[type=submit]').first().click({ timeout: remaining(), noWaitAfter: true });
      } else {
        await page
          .locator(`button[name=decision][value=${input.consent}]`)
          .click({ timeout: remaining(), noWaitAfter: true })
          .catch((e) => {
            throw new FlowError(`could not click the "${input.consent}" button on the consent page: ${firstLine(e.message)}`);
          });
      }
    }

    await page.waitForLoadState('load', { timeout: remaining() }).catch(() => {});
    await screenshot('result');
    const body = await page.evaluate(() => (document.body ? document.body.innerText : ''));
    const line = `${JSON.stringify({ final_url: page.url(), body, pages })}\n`;
    await new Promise((resolve) => process.stdout.write(line, resolve));
  } catch (e) {
    let report = `flow.mjs: ${describe(e, input)}`;
    report += `\n  start_url: ${input.start_url}`;
    if (page) {
      report += `\n  current URL: ${page.url()}`;
      const text = await withTimeout(
        page.evaluate(() => (document.body ? document.body.innerText : '')),
        3000,
      ).catch(() => '(page text unavailable)');
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 600);
      report += `\n  page text: ${snippet || '(empty)'}`;
      if (input.screenshot_dir) {
        // Not bound by the (perhaps spent) deadline; a failure here is not worth reporting.
        const file = path.join(input.screenshot_dir, `${String(shots + 1).padStart(2, '0')}-failure.png`);
        await mkdir(input.screenshot_dir, { recursive: true })
          .then(() => page.screenshot({ path: file, fullPage: true, timeout: 5000 }))
          .then(() => (report += `\n  screenshot: ${file}`))
          .catch(() => {});
      }
    }
    report += `\n  pages seen: ${JSON.stringify(pages)}`;
    for (const line of consoleLines.slice(-10)) report += `\n  ${line}`;
    e.report = report;
    throw e;
  } finally {
    if (context) await context.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  }
}

// FlowError: its message. Playwright's errors: their first line (the call log after it is noise
// here), said plainly for a timeout. Anything else is a bug in this file: its stack.
function describe(e, input) {
  if (e instanceof FlowError) return e.message;
  if (e && e.name === 'TimeoutError') {
    return `timed out (timeout_ms ${input.timeout_ms}) on the way to ${input.expect_prefix}: ${firstLine(e.message)}`;
  }
  if (e && typeof e.message === 'string' && /^[a-zA-Z]+\.[a-zA-Z]+: /.test(e.message)) return firstLine(e.message);
  return e?.stack || String(e);
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function firstLine(s) {
  return String(s).split('\n')[0];
}

main().then(
  () => process.exit(0),
  (e) => {
    const report = e?.report ?? `flow.mjs: ${e instanceof FlowError ? e.message : e?.stack || e}`;
    process.stderr.write(`${report}\n`, () => process.exit(1));
  },
);
