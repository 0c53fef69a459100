// What the console, account and passkey drivers share: Debian's Chromium launched headless in
// a throwaway profile (never a downloaded browser), and numbered full-page screenshots.

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A persistent context in a new profile directory; `close()` ends it and removes the profile. */
export async function launch(name) {
  const dir = await mkdtemp(path.join(tmpdir(), `sesame-${name}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.SESAME_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const close = async () => {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** `shot(page, name)` writes `NN-name.png` into `dir` (nothing without a dir). */
export function shooter(dir) {
  let count = 0;
  return async (page, name) => {
    if (!dir) return;
    count += 1;
    await mkdir(dir, { recursive: true });
    await page.screenshot({
      path: path.join(dir, `${String(count).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  };
}

/** The input JSON from argv, with these string members required. */
export function input(script, required) {
  const parsed = JSON.parse(process.argv[2] ?? '{}');
  for (const key of required) {
    if (typeof parsed[key] !== 'string') {
      console.error(`${script}: "${key}" is required`);
      process.exit(1);
    }
  }
  return parsed;
}
