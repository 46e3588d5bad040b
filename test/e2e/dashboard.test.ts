/**
 * The dashboard in a real browser (Debian chromium, headless) against a real `wrangler dev`, as an
 * operator uses it: sign in with a key, see an asset appear after `telemetry-bridge send`, open it
 * (chart, summary), watch a live event arrive in the tail (filter, pause, resume), see a key
 * without "admin" refused when acknowledging an alert and an admin key acknowledge it, create a
 * bundle and see it "Verified", and a tampered copy "Failed". The key is never in the page.
 * Screenshots: test/e2e/artifacts/dashboard-*.png.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumStatus, launchChromium, screenshot } from "./browser.ts";
import { adminCall, startBridge, type Bridge } from "./wrangler-dev.ts";

const status = chromiumStatus();
if (!status.run && !status.fail) console.warn(`dashboard browser test skipped: ${status.message}`);

const ASSET = "web-1";
const TENANT = "dash";

async function key(bridge: Bridge, scopes: string[]): Promise<string> {
  const res = await adminCall(bridge, `/v1/admin/tenants/${TENANT}/keys`, "POST", { scopes, name: `e2e ${scopes.join(" ")}` });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

/** Poll `ok` for up to 10 s (the rates fill in after the table); the failure shows `what`. */
async function until(ok: () => Promise<boolean>, what: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`still: ${await what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function suite(): void {
  let bridge: Bridge;
  let adminKey: string;
  let readKey: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let downloads: string;
  const problems: string[] = [];

  async function ingest(records: object[]): Promise<void> {
    const res = await fetch(`${bridge.url}/v1/logs?asset=${ASSET}`, {
      method: "POST", headers: { Authorization: `Bearer ${adminKey}`, "Content-Type": "application/json" }, body: JSON.stringify(records),
    });
    expect(res.status).toBe(200);
  }

  async function signIn(p: Page, key: string): Promise<void> {
    await p.goto(`${bridge.url}/dashboard/`);
    await p.getByLabel("API key").fill(key);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Assets" }).waitFor();
  }

  /** The page's HTML and visible text never hold a key (or any part of its secret). */
  async function expectNoSecret(p: Page): Promise<void> {
    const html = await p.content();
    for (const k of [adminKey, readKey]) {
      expect(html).not.toContain(k);
      expect(html).not.toContain(k.split("_").slice(3).join("_"));
    }
  }

  beforeAll(async () => {
    downloads = mkdtempSync(join(tmpdir(), "tb-dash-"));
    bridge = await startBridge();
    // A level rule, so ERROR lines open alerts to acknowledge.
    const t = await adminCall(bridge, "/v1/admin/tenants", "POST", {
      tenant_id: TENANT, name: "Dashboard", config: { alert_rules: [{ name: "errors", type: "level", levels: ["ERROR", "CRITICAL"], severity: "high" }] },
    });
    expect(t.status).toBe(201);
    adminKey = await key(bridge, ["ingest", "read", "evidence", "admin"]);
    readKey = await key(bridge, ["read", "evidence"]);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    // CSP violations, script errors and failed loads show up here.
    // (The one 401 is the wrong key tried at sign-in.)
    page.on("console", (m) => m.type() === "error" && !m.text().includes("status of 401") && problems.push(`console: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.stop();
    rmSync(downloads, { recursive: true, force: true });
  });

  it("signs in with an API key kept in session storage only, and refuses a wrong one", async () => {
    const res = await page.goto(`${bridge.url}/`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/");
    // Served as a static asset with the CSP of dashboard/_headers: no inline or foreign script.
    expect(res!.headers()["content-security-policy"]).toContain("script-src 'self';");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.getByLabel("API key").getAttribute("type")).toBe("password");
    await screenshot(page, "dashboard-1-sign-in");

    await page.getByLabel("API key").fill("tb_dash_0000000000000000_nope");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("The bridge does not accept this key (401)").waitFor();

    await page.getByLabel("API key").fill(adminKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Assets" }).waitFor();
    await page.getByText("No assets yet").waitFor();
    const storage = await page.evaluate(() => ({ session: Object.values(sessionStorage), local: Object.keys(localStorage).length, cookies: document.cookie }));
    expect(storage).toEqual({ session: [adminKey], local: 0, cookies: "" });
    await expect(page.locator("header").innerText()).resolves.toContain(`tenant ${TENANT}`);
    await expectNoSecret(page);
  });

  it("shows an asset after telemetry-bridge send ingests into it", async () => {
    const sent = spawnSync(process.execPath, ["bin/telemetry-bridge.ts", "send", "--sample", "--count", "40", "--asset", ASSET, "--url", bridge.url], {
      encoding: "utf8", env: { ...process.env, TB_API_KEY: adminKey },
    });
    expect(sent.status, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/events accepted\s+40\n/);
    await page.getByRole("button", { name: "Refresh" }).click();
    const row = page.locator(`tr[data-asset="${ASSET}"]`);
    await row.waitFor();
    // 41 lines: the 40 events and the alert line the sample's one ERROR record opened (alert
    // lines are stored, and counted as lines, but not as events in the rate: 40 / 15 min).
    await until(async () => /web-1\s+\d+ s ago\s+41\s+2\.7\/min/.test(await row.innerText()), () => row.innerText());
    await screenshot(page, "dashboard-2-assets");
  });

  it("opens the asset: per-minute chart and summary", async () => {
    await page.getByRole("link", { name: ASSET }).click();
    await page.getByRole("heading", { name: ASSET, level: 2 }).waitFor();
    await page.locator("svg.chart rect.lvl").first().waitFor();
    expect(await page.locator("svg.chart").getAttribute("role")).toBe("img");
    await expect(page.locator("#chart-desc").textContent()).resolves.toMatch(/40 in all/);
    const summary = await page.locator("#summary").innerText();
    expect(summary).toMatch(/Events\s+40/);
    expect(summary).toContain('"latency_ms_p95"');
    await screenshot(page, "dashboard-3-asset");
  });

  it("shows a live event in the tail as it is stored; filters, pauses and resumes", async () => {
    const tail = page.locator("#tail");
    await tail.getByText("Live: showing new lines").waitFor();
    await ingest([{ level: "info", message: "hello from the e2e test" }]);
    await tail.locator(".line", { hasText: "hello from the e2e test" }).waitFor();

    await tail.getByLabel("ERROR").check();
    await tail.getByRole("button", { name: "Apply filter" }).click();
    await tail.getByText("Filter: levels ERROR.").waitFor();
    await ingest([{ level: "info", message: "quiet line" }, { level: "error", message: "disk on fire" }]);
    await tail.locator(".line", { hasText: "disk on fire" }).waitFor();
    expect(await tail.locator(".line", { hasText: "quiet line" }).count(), await tail.locator(".tail-lines").innerText()).toBe(0);

    await tail.getByRole("button", { name: "Pause" }).click();
    await tail.getByText("Paused.").waitFor();
    await ingest([{ level: "error", message: "stored while paused" }]);
    await page.waitForTimeout(1500);
    expect(await tail.locator(".line", { hasText: "stored while paused" }).count()).toBe(0);
    await tail.getByRole("button", { name: "Resume" }).click();
    await tail.locator(".line", { hasText: "stored while paused" }).waitFor();
    await screenshot(page, "dashboard-4-live-tail");
  });

  it("refuses to acknowledge an alert with a key lacking admin, and acknowledges it with an admin key", async () => {
    const other = await context.newPage();
    await other.goto(`${bridge.url}/dashboard/`);
    await other.evaluate(() => sessionStorage.clear());
    await signIn(other, readKey);
    await other.goto(`${bridge.url}/dashboard/#/asset/${ASSET}`);
    const alerts = other.locator("#alerts");
    const ack = alerts.getByRole("button", { name: /^Acknowledge alert / }).first();
    await ack.waitFor();
    await ack.click();
    await alerts.getByText('Acknowledging an alert needs a key with the "admin" scope, and this key lacks it').waitFor();
    await screenshot(other, "dashboard-5-alert-needs-admin");
    await other.close();

    const panel = page.locator("#alerts");
    await panel.getByRole("button", { name: "Refresh alerts" }).click();
    const open = panel.locator("tr", { has: page.locator(".state-OPEN") }).first();
    await open.waitFor();
    const id = (await open.getAttribute("data-alert"))!;
    await panel.getByRole("button", { name: `Acknowledge alert ${id}` }).click();
    await panel.getByText(`Alert ${id} acknowledged (now ACKNOWLEDGED).`).waitFor();
    await expect(panel.locator(`tr[data-alert="${id}"] .state`).innerText()).resolves.toBe("ACKNOWLEDGED");
    await screenshot(page, "dashboard-6-alert-acknowledged");
  });

  it("creates a bundle, verifies it in the browser, and fails a tampered copy", async () => {
    const evidence = page.locator("#evidence");
    await evidence.getByLabel("Window").selectOption("0");
    await evidence.getByRole("button", { name: "Create bundle" }).click();
    await evidence.getByText(/Bundle evidence-\S+ sealed and signed/).waitFor();
    const row = evidence.locator("tr[data-bundle]").first();
    const id = (await row.getAttribute("data-bundle"))!;
    await evidence.getByRole("button", { name: `Verify ${id}` }).click();
    const verdict = evidence.locator(".verdict");
    await verdict.getByText("Verified").waitFor();
    expect(await verdict.innerText()).toMatch(/authentic and complete/);
    expect(await verdict.innerText()).toContain("merkle root_before -> root_after");
    await screenshot(page, "dashboard-7-verified");

    const save = async (file: string) => {
      const [download] = await Promise.all([page.waitForEvent("download"), evidence.getByRole("button", { name: `Download ${file} of ${id}` }).click()]);
      expect(download.suggestedFilename()).toBe(`${id}.${file}`);
      const path = join(downloads, download.suggestedFilename());
      await download.saveAs(path);
      return path;
    };
    const records = await save("records.jsonl.gz");
    const statement = await save("statement.dsse.json");
    // One byte changed inside the compressed records.
    const tampered = join(downloads, "tampered.records.jsonl.gz");
    const bytes = readFileSync(records);
    bytes[40] = bytes[40]! ^ 0xff;
    writeFileSync(tampered, bytes);

    await evidence.getByText("Verify bundle files from disk").click();
    await evidence.getByLabel("records.jsonl.gz", { exact: true }).setInputFiles(records);
    await evidence.getByLabel("statement.dsse.json", { exact: true }).setInputFiles(statement);
    await evidence.getByRole("button", { name: "Verify files" }).click();
    await verdict.getByText(`files ${id}.records.jsonl.gz`).waitFor();
    expect(await verdict.innerText()).toMatch(/^Verified/);

    await evidence.getByLabel("records.jsonl.gz", { exact: true }).setInputFiles(tampered);
    await evidence.getByRole("button", { name: "Verify files" }).click();
    await verdict.getByText("Failed", { exact: true }).waitFor();
    const text = await verdict.innerText();
    expect(text).toContain("digest_mismatch");
    expect(text).toContain("The records are not the ones that were signed");
    expect(text).toContain("signature by");
    await screenshot(page, "dashboard-8-tampered-failed");
    await expectNoSecret(page);
  });

  it("ran without script errors or CSP violations", () => {
    expect(problems).toEqual([]);
  });
}

if (status.run) describe("dashboard in chromium", suite);
else if (status.fail) it("dashboard in chromium: chromium is installed (CI)", () => expect.fail(status.message));
else describe.skip(`dashboard in chromium (skipped: ${status.message})`, suite);
