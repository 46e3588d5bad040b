/**
 * The tenant's assets (GET /v1/assets) with last-seen and event totals, and each listed asset's
 * rate over the last 15 minutes from its summary. Refreshes every 15 s while the tab is visible.
 */
import { assetPath, explain, getJson } from "../api.ts";
import { busy, fill, h, notice } from "../dom.ts";
import { ago, count, dateTime, rate } from "../format.ts";

interface AssetRow {
  asset: string;
  first_seen: string;
  last_seen: string;
  events_total: number;
}

const PAGE = 50;
const RATE_WINDOW_S = 900;
const REFRESH_MS = 15_000;
const RATE_CONCURRENCY = 4;

/** Events per minute over the last 15 minutes, from the asset's rollups. */
async function rateOf(asset: string): Promise<number> {
  const sum = await getJson<{ events: number }>(assetPath(asset, `/summary?since=${RATE_WINDOW_S}`));
  return sum.events / (RATE_WINDOW_S / 60);
}

async function fillRates(rows: AssetRow[], cells: Map<string, HTMLElement>): Promise<void> {
  const queue = [...rows];
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const cell = cells.get(r.asset)!;
      try {
        cell.textContent = rate(await rateOf(r.asset));
      } catch {
        cell.textContent = "–";
      }
    }
  };
  await Promise.all(Array.from({ length: RATE_CONCURRENCY }, worker));
}

export function assetListView(): { element: HTMLElement; stop(): void } {
  const body = h("div", { "aria-busy": "true" }, h("p", null, "Loading assets…"));
  const updated = h("p", { class: "hint", role: "status" });
  let cursor: string | null = null;
  const cursors: (string | null)[] = [];

  async function load(): Promise<void> {
    try {
      const q = `/v1/assets?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await getJson<{ assets: AssetRow[]; next_cursor: string | null }>(q);
      body.removeAttribute("aria-busy");
      if (!page.assets.length && !cursor) {
        fill(body, h("div", { class: "empty" },
          h("p", null, "No assets yet. Send some telemetry and it appears here within a few seconds, for example:"),
          h("pre", { class: "json", tabindex: "0" }, `npm run cli -- send --sample --url ${location.origin} --key "$KEY"`)));
        updated.textContent = `Checked at ${dateTime(new Date().toISOString()).slice(11)}.`;
        return;
      }
      const rateCells = new Map<string, HTMLElement>();
      const table = h("table", { class: "data assets" },
        h("caption", { class: "visually-hidden" }, "Assets"),
        h("thead", null, h("tr", null, ...["Asset", "Last seen", "Events (total)", "Rate (last 15 min)", "First seen"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, ...page.assets.map((a) => {
          const rateCell = h("td", null, "…");
          rateCells.set(a.asset, rateCell);
          return h("tr", { "data-asset": a.asset },
            h("th", { scope: "row" }, h("a", { href: `#/asset/${encodeURIComponent(a.asset)}` }, a.asset)),
            h("td", null, h("time", { datetime: a.last_seen, title: dateTime(a.last_seen) }, ago(a.last_seen))),
            h("td", null, count(a.events_total)),
            rateCell,
            h("td", null, h("time", { datetime: a.first_seen }, dateTime(a.first_seen))));
        })));
      const pager = h("div", { class: "pager" },
        cursors.length ? h("button", { type: "button", onclick: () => { cursor = cursors.pop() ?? null; void load(); } }, "Previous page") : null,
        page.next_cursor ? h("button", { type: "button", onclick: () => { cursors.push(cursor); cursor = page.next_cursor; void load(); } }, "Next page") : null);
      fill(body, table, pager);
      updated.textContent = `Updated at ${dateTime(new Date().toISOString()).slice(11)}. Counts may lag by up to 30 s.`;
      await fillRates(page.assets, rateCells);
    } catch (e) {
      fill(body, notice("error", explain(e, "read", "Listing assets")));
    }
  }

  const refreshButton: HTMLButtonElement = h("button", { type: "button", onclick: () => void busy(refreshButton, load) }, "Refresh");
  void load();
  const timer = setInterval(() => document.visibilityState === "visible" && void load(), REFRESH_MS);
  const element = h("section", { "aria-labelledby": "assets-title" },
    h("div", { class: "title-row" }, h("h2", { id: "assets-title" }, "Assets"), refreshButton),
    updated, body);
  return { element, stop: () => clearInterval(timer) };
}
