/**
 * One asset: the per-minute chart and the window's summary (GET .../summary, refreshed every
 * 30 s while the tab is visible), the live tail, alerts, and evidence bundles.
 */
import { assetPath, explain, getJson } from "../api.ts";
import { busy, fill, h, notice } from "../dom.ts";
import { alertsPanel } from "../panels/alerts.ts";
import { renderChart } from "../panels/chart.ts";
import { evidencePanel } from "../panels/evidence.ts";
import { liveTail } from "../panels/live-tail.ts";
import { renderSummary, type AssetSummary } from "../panels/summary.ts";

const WINDOWS = [["900", "Last 15 minutes"], ["3600", "Last hour"], ["21600", "Last 6 hours"], ["86400", "Last 24 hours"]] as const;
const REFRESH_MS = 30_000;

function section(id: string, title: string, ...content: (Node | null)[]): HTMLElement {
  return h("section", { class: "panel", id, "aria-labelledby": `${id}-title` }, h("h3", { id: `${id}-title` }, title), ...content);
}

export function assetPageView(asset: string): { element: HTMLElement; stop(): void } {
  const chartArea = h("div", { "aria-busy": "true" }, h("p", null, "Loading…"));
  const summaryArea = h("div");
  const windowSelect = h("select", { id: "summary-window", onchange: () => void loadSummary() },
    ...WINDOWS.map(([v, label]) => h("option", { value: v, selected: v === "3600" }, label)));

  async function loadSummary(): Promise<void> {
    try {
      const sum = await getJson<AssetSummary>(assetPath(asset, `/summary?since=${windowSelect.value}`));
      chartArea.removeAttribute("aria-busy");
      fill(chartArea, renderChart(sum.series, sum.window, sum.step_seconds));
      fill(summaryArea, renderSummary(sum));
    } catch (e) {
      fill(chartArea, notice("error", explain(e, "read", "The summary")));
      summaryArea.replaceChildren();
    }
  }

  const tail = liveTail(asset);
  const alerts = alertsPanel(asset);
  const evidence = evidencePanel(asset);
  const refreshButton: HTMLButtonElement = h("button", { type: "button", onclick: () => void busy(refreshButton, loadSummary) }, "Refresh");
  void loadSummary();
  void alerts.refresh();
  void evidence.refresh();
  const timer = setInterval(() => document.visibilityState === "visible" && void loadSummary(), REFRESH_MS);

  const element = h("article", { class: "asset-page", "aria-labelledby": "asset-title" },
    h("p", null, h("a", { href: "#/" }, "← All assets")),
    h("div", { class: "title-row" }, h("h2", { id: "asset-title" }, asset)),
    h("div", { class: "grid" },
      section("activity", "Activity",
        h("div", { class: "toolbar" }, h("label", { for: "summary-window" }, "Window"), windowSelect, refreshButton),
        chartArea),
      section("summary", "Summary", summaryArea)),
    section("tail", "Live tail", tail.element),
    section("alerts", "Alerts", alerts.element),
    section("evidence", "Evidence bundles", evidence.element));
  return {
    element,
    stop() {
      clearInterval(timer);
      tail.stop();
    },
  };
}
