/**
 * A real Chromium for the page's tests: Debian's package (/usr/bin/chromium, or
 * ETL_TEST_CHROMIUM), driven by playwright-core 1.64.1, whose own Chromium has the same major
 * version (156). Nothing downloads a browser. Without one, the tests skip with a message; in CI
 * (CI set) its absence fails them.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['ETL_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
export const HAVE_BROWSER = existsSync(CHROMIUM);
export const BROWSER_REQUIRED = (process.env['CI'] ?? '') !== '';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
