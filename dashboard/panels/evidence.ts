/**
 * Evidence bundles of an asset: create one (GET .../evidence?since=), list them
 * (GET .../bundles), download their files, and verify them in the browser, either as stored
 * by the bridge or from files on disk, against the bridge's JWKS or a JWKS file.
 */
import { ApiProblem, assetPath, call, explain, getBytes, getJson } from "../api.ts";
import { announce, busy, fill, h, notice } from "../dom.ts";
import { bytes, count, dateTime } from "../format.ts";
import { bridgeJwks, verifyLocalFiles, verifyStoredBundle } from "../verify-bundle.ts";
import { renderVerdict } from "./verify-result.ts";

interface Bundle {
  id: string;
  created_at: string;
  first_seq: number;
  end_seq: number;
  line_count: number;
  compressed_size_bytes: number;
  sha256: string;
  upload: { status: "stored" | "pending" | "failed"; attempts: number; error?: string };
}

const FILES = ["records.jsonl.gz", "statement.dsse.json", "metadata.json"] as const;
const WINDOWS = [
  ["3600", "Lines received in the last hour"],
  ["86400", "Lines received in the last 24 hours"],
  ["0", "The whole ring buffer"],
  ["continue", "Everything after the last bundle"],
] as const;

async function download(id: string, file: string): Promise<void> {
  const blob = new Blob([(await getBytes(`/v1/bundles/${encodeURIComponent(id)}/${file}`)) as Uint8Array<ArrayBuffer>]);
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: `${id}.${file}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function evidencePanel(asset: string): { element: HTMLElement; refresh(): Promise<void> } {
  const message = h("div", { class: "panel-message" });
  const list = h("div");
  const verdict = h("div", { class: "verdict-area", "aria-live": "polite" });
  const since = h("select", { id: "bundle-since" }, ...WINDOWS.map(([v, label]) => h("option", { value: v }, label)));
  const createButton = h("button", { type: "submit" }, "Create bundle");

  async function create(): Promise<void> {
    await busy(createButton, async () => {
      try {
        const res = await call(assetPath(asset, `/evidence?since=${since.value}`));
        const body = (await res.json()) as { line_count?: number; message?: string; bundle?: Bundle };
        if (!body.bundle) return fill(message, notice("info", body.message ?? "No lines in that window: nothing to seal."));
        const b = body.bundle;
        fill(message, notice(res.status === 202 ? "info" : "ok",
          `Bundle ${b.id} sealed and signed: ${count(b.line_count)} lines (seq ${b.first_seq}–${b.end_seq}).`,
          res.status === 202 ? ` Its upload to the evidence store is pending (${b.upload.error ?? "retrying"}); it is listed once stored.` : ""));
        announce("Bundle created.");
        await refresh(false);
      } catch (e) {
        fill(message, notice("error", explain(e, "evidence", "Creating evidence")));
      }
    });
  }

  async function verifyStored(id: string, button: HTMLButtonElement): Promise<void> {
    await busy(button, async () => {
      fill(verdict, notice("info", `Verifying ${id}…`));
      try {
        const report = await verifyStoredBundle(id, await bridgeJwks());
        fill(verdict, renderVerdict(report, `bundle ${id} as stored, against this bridge's published keys`));
      } catch (e) {
        fill(verdict, notice("error", `Could not fetch ${id} to verify it: ${explain(e, "evidence", "Downloading bundles")}`));
      }
    });
  }

  function row(b: Bundle): HTMLTableRowElement {
    const verifyButton: HTMLButtonElement = h("button", { type: "button", class: "small", "aria-label": `Verify ${b.id}`, onclick: () => void verifyStored(b.id, verifyButton) }, "Verify");
    const downloads = FILES.map((f) => {
      const btn: HTMLButtonElement = h("button", {
        type: "button", class: "small link", "aria-label": `Download ${f} of ${b.id}`,
        onclick: () => void busy(btn, () => download(b.id, f).catch((e) => fill(message, notice("error", explain(e, "evidence", "Downloading bundles"))))),
      }, f);
      return btn;
    });
    return h("tr", { "data-bundle": b.id },
      h("th", { scope: "row" }, h("code", null, b.id)),
      h("td", null, dateTime(b.created_at)),
      h("td", null, `${b.first_seq}–${b.end_seq}`),
      h("td", null, count(b.line_count)),
      h("td", null, bytes(b.compressed_size_bytes)),
      h("td", null, h("span", { class: `state state-${b.upload.status}` }, b.upload.status)),
      h("td", { class: "actions" }, verifyButton, h("span", { class: "downloads" }, ...downloads)));
  }

  async function refresh(clearMessage = true): Promise<void> {
    if (clearMessage) message.replaceChildren();
    try {
      const page = await getJson<{ bundles: Bundle[] }>(assetPath(asset, "/bundles?limit=20"));
      if (!page.bundles.length) return fill(list, h("p", { class: "empty" }, "No bundles yet."));
      fill(list, h("table", { class: "data bundles" },
        h("caption", { class: "visually-hidden" }, "Evidence bundles, newest first"),
        h("thead", null, h("tr", null, ...["Bundle", "Created", "Seq", "Lines", "Size (gzip)", "Upload", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, ...page.bundles.map(row))));
    } catch (e) {
      fill(list, notice("error", explain(e, "evidence", "Listing evidence bundles")));
    }
  }

  const element = h("div", null,
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); void create(); } },
      h("label", { for: "bundle-since" }, "Window"), since, createButton),
    message, list, verdict, localVerifier(verdict));
  return { element, refresh };
}

/** Verify files from disk: a downloaded bundle, or one an auditor was handed. */
function localVerifier(verdict: HTMLElement): HTMLElement {
  const input = (id: string, accept: string) => h("input", { id, type: "file", accept });
  const records = input("verify-records", ".gz,application/gzip");
  const statement = input("verify-statement", ".json,application/json");
  const previous = input("verify-previous", ".json,application/json");
  const jwksFile = input("verify-jwks", ".json,application/json");
  const button = h("button", { type: "submit" }, "Verify files");
  const field = (el: HTMLInputElement, label: string, hint?: string) =>
    h("div", { class: "field" }, h("label", { for: el.id }, label), el, hint ? h("span", { class: "hint" }, hint) : null);

  async function run(): Promise<void> {
    const r = records.files?.[0];
    const s = statement.files?.[0];
    if (!r || !s) return fill(verdict, notice("error", "Choose both records.jsonl.gz and statement.dsse.json."));
    await busy(button, async () => {
      try {
        const keysFile = jwksFile.files?.[0];
        const jwks = keysFile ? JSON.parse(await keysFile.text()) : await bridgeJwks();
        const report = await verifyLocalFiles({ records: r, statement: s, previous: previous.files?.[0], jwks });
        fill(verdict, renderVerdict(report, `files ${r.name} and ${s.name}, against ${keysFile ? keysFile.name : "this bridge's published keys"}`));
      } catch (e) {
        const why = e instanceof SyntaxError ? "the JWKS file is not JSON" : e instanceof ApiProblem ? e.message : String(e);
        fill(verdict, notice("error", `Could not verify: ${why}`));
      }
    });
  }

  return h("details", { class: "local-verify" },
    h("summary", null, "Verify bundle files from disk"),
    h("form", { onsubmit: (e) => { e.preventDefault(); void run(); } },
      field(records, "records.jsonl.gz"),
      field(statement, "statement.dsse.json"),
      field(previous, "Previous bundle's statement.dsse.json (optional)", "also checks that this bundle continues it"),
      field(jwksFile, "Keys (JWKS, optional)", "default: this bridge's /.well-known/jwks.json; give your own copy to check independently"),
      button));
}
