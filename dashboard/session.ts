/**
 * The API key, kept in this tab's sessionStorage only: it goes away with the tab, is never
 * written to localStorage, a cookie or a URL, and is never put into the page.
 */
const STORAGE_KEY = "telemetry-bridge.key";

export function savedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function saveKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** What may be shown about a key: its tenant and key id (`tb_<tenant>_<key_id>_<secret>`), never the secret. */
export function keyLabel(key: string): string {
  const m = /^tb_([a-z0-9-]{1,63})_([0-9a-f]{16})_/.exec(key);
  return m ? `tenant ${m[1]} · key ${m[2]}` : "signed in with a token";
}
