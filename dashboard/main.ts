/**
 * The dashboard's entry: a hash router (`#/` assets, `#/asset/<id>` one asset) behind sign-in.
 * Served by the Worker as static assets under /dashboard/; talks to the same origin's API.
 */
import { whenUnauthorized } from "./api.ts";
import { fill, h } from "./dom.ts";
import { forgetKey, keyLabel, savedKey } from "./session.ts";
import { assetListView } from "./views/asset-list.ts";
import { assetPageView } from "./views/asset-page.ts";
import { signInView } from "./views/sign-in.ts";

const main = document.getElementById("main")!;
const sessionNav = document.getElementById("session")!;
let current: { stop(): void } | null = null;

function showSession(): void {
  const key = savedKey();
  if (!key) return sessionNav.replaceChildren();
  fill(sessionNav,
    h("span", { class: "who" }, keyLabel(key)),
    h("a", { href: "/docs" }, "API docs"),
    h("button", { type: "button", onclick: () => { forgetKey(); route(); } }, "Sign out"));
}

function route(reason?: string): void {
  current?.stop();
  current = null;
  showSession();
  if (!savedKey()) {
    document.title = "Sign in · Telemetry Bridge";
    fill(main, signInView(() => route(), reason));
    return;
  }
  const m = /^#\/asset\/(.+)$/.exec(location.hash);
  const view = m ? assetPageView(decodeURIComponent(m[1]!)) : assetListView();
  document.title = m ? `${decodeURIComponent(m[1]!)} · Telemetry Bridge` : "Assets · Telemetry Bridge";
  current = view;
  fill(main, view.element);
  // Move focus to the new view's heading, as a page load would, for keyboard and screen reader users.
  const heading = main.querySelector("h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

whenUnauthorized((message) => route(message));
window.addEventListener("hashchange", () => route());
route();
