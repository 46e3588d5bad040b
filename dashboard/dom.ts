/**
 * A few DOM helpers. Text always goes in as text nodes, never as HTML: log lines, asset ids and
 * alert notes come from whoever sent telemetry, so nothing here ever parses a string as markup.
 */
type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | null | undefined | ((e: Event) => void);

function apply(el: Element, attrs: Record<string, Attr> | null | undefined, children: Child[]): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === "number" ? String(c) : c);
}

/** An HTML element: `h("button", { type: "button", onclick }, "Refresh")`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, Attr> | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element, same conventions as `h`. */
export function s(tag: string, attrs?: Record<string, Attr> | null, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  apply(el, attrs, children);
  return el;
}

/** Replace an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  apply(el, null, children);
}

let announcer: HTMLElement | null = null;

/** Say something to screen readers without moving focus (an aria-live region in index.html). */
export function announce(text: string): void {
  announcer ??= document.getElementById("announcer");
  if (!announcer) return;
  announcer.textContent = "";
  // A separate task, so the same text twice is announced twice.
  setTimeout(() => { announcer!.textContent = text; }, 50);
}

/** A message box: `role="alert"` for failures (read out at once), `role="status"` otherwise. */
export function notice(kind: "error" | "info" | "ok", ...children: Child[]): HTMLElement {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

/** Run `f` with the button disabled and marked busy, so a double click cannot send twice. */
export async function busy<T>(button: HTMLButtonElement, f: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await f();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
