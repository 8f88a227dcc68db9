/**
 * The one Chromium every browser check launches: Debian's `chromium` package (/usr/bin/chromium,
 * or CHROMIUM_PATH), never Playwright's own download. Playwright's `launch` gives each run a fresh
 * temporary user-data-dir (it refuses a --user-data-dir argument), and adds --headless itself.
 */
import { existsSync } from 'node:fs';

/** Path of the Chromium binary. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a quiet, offline, headless run (sandboxing off: CI runs as root in a container). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Playwright `launch` options for it; throws with the install command when it is missing. */
export function launchOptions() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS };
}

/**
 * Launches it through Playwright.
 * @returns {Promise<import('playwright').Browser>}
 */
export async function launchChromium() {
  const { chromium } = await import('playwright');
  return chromium.launch(launchOptions());
}
