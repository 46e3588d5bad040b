/**
 * Debian's chromium driven by playwright-core (which downloads nothing): headless, sandbox off
 * (tests run as root), and no background networking, which this machine's closed network
 * would refuse. Screenshots go to test/e2e/artifacts/ (git-ignored).
 */
import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = new URL("./artifacts/", import.meta.url);

/**
 * Whether browser tests can run here. Outside CI a machine without chromium skips them with a
 * message; in CI (CI=true) a missing chromium is a failure: .ci/run installs it.
 */
export function chromiumStatus(): { run: true } | { run: false; message: string; fail: boolean } {
  if (existsSync(CHROMIUM)) return { run: true };
  const message = `${CHROMIUM} is not installed: browser tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it).`;
  return { run: false, message, fail: process.env.CI === "true" };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright gives every launch a fresh temporary profile (user data dir) of its own.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
}
