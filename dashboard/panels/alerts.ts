/**
 * Alerts of an asset (GET /v1/assets/{asset}/alerts) with their lifecycle actions: acknowledge,
 * suppress (mutes the rule for an hour) and resolve (POST .../alerts/{id}/ack|suppress|resolve).
 * Those need a key with the "admin" scope; a key without it gets a message saying so.
 */
import { assetPath, explain, getJson, postJson } from "../api.ts";
import { announce, busy, fill, h, notice } from "../dom.ts";
import { ago, dateTime } from "../format.ts";

interface Alert {
  id: string;
  rule: string;
  type: string;
  severity: string;
  key?: string;
  status: "OPEN" | "ACKNOWLEDGED" | "SUPPRESSED" | "RESOLVED";
  seq: number;
  value?: number;
  opened_at: string;
  updated_at: string;
  repeats: number;
  actor?: string;
  note?: string;
}

const ACTIONS = [
  { action: "ack", label: "Acknowledge", doing: "Acknowledging", from: ["OPEN"], done: "acknowledged" },
  { action: "suppress", label: "Suppress", doing: "Suppressing", from: ["OPEN", "ACKNOWLEDGED"], done: "suppressed" },
  { action: "resolve", label: "Resolve", doing: "Resolving", from: ["OPEN", "ACKNOWLEDGED"], done: "resolved" },
] as const;

export function alertsPanel(asset: string): { element: HTMLElement; refresh(): Promise<void> } {
  const message = h("div", { class: "panel-message" });
  const body = h("div");
  const statusSelect = h("select", { id: "alert-status", onchange: () => void refresh() },
    h("option", { value: "" }, "All"), ...["OPEN", "ACKNOWLEDGED", "SUPPRESSED", "RESOLVED"].map((s) => h("option", { value: s }, s)));
  const note = h("input", { id: "alert-note", type: "text", maxlength: 1000, autocomplete: "off" });
  const refreshButton = h("button", { type: "button", onclick: () => void busy(refreshButton, refresh) }, "Refresh alerts");

  async function act(alert: Alert, a: (typeof ACTIONS)[number], button: HTMLButtonElement): Promise<void> {
    await busy(button, async () => {
      try {
        const text = note.value.trim();
        const res = await postJson<Alert>(assetPath(asset, `/alerts/${encodeURIComponent(alert.id)}/${a.action}`), text ? { note: text } : undefined);
        note.value = "";
        await refresh(false);
        fill(message, notice("ok", `Alert ${alert.id} ${a.done} (now ${res.body.status}).`));
        announce(`Alert ${a.done}.`);
      } catch (e) {
        fill(message, notice("error", explain(e, "admin", `${a.doing} an alert`)));
      }
    });
  }

  function row(alert: Alert): HTMLTableRowElement {
    const buttons = ACTIONS.filter((a) => (a.from as readonly string[]).includes(alert.status)).map((a) => {
      const b: HTMLButtonElement = h("button", { type: "button", class: "small", "aria-label": `${a.label} alert ${alert.id}`, onclick: () => void act(alert, a, b) }, a.label);
      return b;
    });
    return h("tr", { "data-alert": alert.id },
      h("td", null, h("time", { datetime: alert.opened_at, title: dateTime(alert.opened_at) }, ago(alert.opened_at))),
      h("th", { scope: "row" }, alert.rule, h("div", { class: "sub" }, `${alert.type} · ${alert.id}`)),
      h("td", null, h("span", { class: `sev sev-${alert.severity}` }, alert.severity)),
      h("td", null, h("span", { class: `state state-${alert.status}` }, alert.status)),
      h("td", null, [alert.key ? `key ${alert.key}` : "", alert.value !== undefined ? `value ${alert.value}` : "", `seq ${alert.seq}`].filter(Boolean).join(" · ")),
      h("td", null, String(alert.repeats)),
      h("td", null, alert.actor ? `${alert.actor}${alert.note ? `: ${alert.note}` : ""}` : "–"),
      h("td", { class: "actions" }, ...buttons));
  }

  async function refresh(clearMessage = true): Promise<void> {
    if (clearMessage) message.replaceChildren();
    const status = statusSelect.value;
    try {
      const page = await getJson<{ alerts: Alert[] }>(assetPath(asset, `/alerts?limit=100${status ? `&status=${status}` : ""}`));
      if (!page.alerts.length) return fill(body, h("p", { class: "empty" }, status ? `No ${status} alerts.` : "No alerts on this asset. Alert rules are set in the tenant's config (docs/alerts.md)."));
      fill(body, h("table", { class: "data alerts" },
        h("caption", { class: "visually-hidden" }, "Alerts, newest first"),
        h("thead", null, h("tr", null, ...["Opened", "Rule", "Severity", "Status", "Trigger", "Repeats", "Last change", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, ...page.alerts.map(row))));
    } catch (e) {
      fill(body, notice("error", explain(e, "read", "Listing alerts")));
    }
  }

  const element = h("div", null,
    h("div", { class: "toolbar" },
      h("label", { for: "alert-status" }, "Status"), statusSelect,
      h("label", { for: "alert-note" }, "Note for the next action (optional)"), note,
      refreshButton),
    message, body);
  return { element, refresh };
}
