/**
 * GET /docs: a self-contained HTML page that renders /openapi.json (no CDN, no framework):
 * operations by tag with their auth, parameters, bodies and answers, then the security schemes,
 * problem types and schemas. Text goes into the page as text nodes only. The inline script runs
 * under a per-response CSP nonce; nothing else may run.
 */

const SCRIPT = `
const $ = (tag, attrs, ...kids) => { const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const k of kids) if (k != null) el.append(k); return el; };
const json = (v) => $("pre", null, JSON.stringify(v, null, 2));
const refName = (s) => s && s.$ref ? s.$ref.split("/").pop() : null;
const schemaView = (s) => { const r = refName(s); return r ? $("a", { href: "#schema-" + r }, r) : json(s); };
const table = (head, rows) => $("table", null, $("thead", null, $("tr", null, ...head.map((h) => $("th", { scope: "col" }, h)))),
  $("tbody", null, ...rows.map((r) => $("tr", null, ...r.map((c) => $("td", null, c))))));
(async () => {
  const root = document.getElementById("doc");
  let doc;
  try { doc = await (await fetch("/openapi.json")).json(); } catch (e) { root.append($("p", null, "Could not load /openapi.json: " + e)); return; }
  root.replaceChildren($("p", null, doc.info.description), $("p", null, "OpenAPI " + doc.openapi + " · version " + doc.info.version + " · ",
    $("a", { href: "/openapi.json" }, "openapi.json")));
  const toc = $("ul");
  root.append($("nav", { "aria-label": "Sections" }, toc));
  for (const tag of doc.tags) {
    const ops = [];
    for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) if ((op.tags || ["other"])[0] === tag.name) ops.push([method, path, op]);
    if (!ops.length) continue;
    const id = "tag-" + tag.name.replace(/\\W+/g, "-");
    toc.append($("li", null, $("a", { href: "#" + id }, tag.name)));
    const section = $("section", { id }, $("h2", null, tag.name));
    for (const [method, path, op] of ops) {
      const sec = (op.security || []).map((r) => Object.keys(r).length ? Object.entries(r).map(([k, v]) => k + (v.length ? " (" + v.join(", ") + ")" : "")).join(" + ") : "none").join(" or ");
      const body = op.requestBody ? $("div", null, $("h4", null, "Body " + (op.requestBody.required ? "(required)" : "(optional)")),
        ...Object.entries(op.requestBody.content).map(([t, c]) => $("div", null, $("code", null, t), " ", schemaView(c.schema)))) : null;
      section.append($("details", { id: op.operationId },
        $("summary", null, $("span", { class: "method m-" + method }, method.toUpperCase()), " ", $("code", null, path), " — " + op.summary),
        $("p", { class: "desc" }, op.description || ""),
        $("p", null, "Credentials: " + (sec || "none")),
        op.parameters.length ? table(["Parameter", "In", "Required", "Description"], op.parameters.map((p) => [$("code", null, p.name), p.in, p.required ? "yes" : "no", p.description || ""])) : null,
        body,
        $("h4", null, "Responses"),
        table(["Status", "Description", "Body"], Object.entries(op.responses).map(([st, r]) => [st, r.description,
          r.content ? $("div", null, ...Object.entries(r.content).map(([t, c]) => $("div", null, $("code", null, t), " ", c.schema && c.schema.allOf ? $("span", null, $("a", { href: "#schema-Problem" }, "Problem"), " " + c.schema.allOf[1].properties.type.enum.join(", ")) : schemaView(c.schema)))) : ""]))));
    }
    root.append(section);
  }
  toc.append($("li", null, $("a", { href: "#security" }, "Security schemes")), $("li", null, $("a", { href: "#problems" }, "Problem types")), $("li", null, $("a", { href: "#schemas" }, "Schemas")));
  root.append($("section", { id: "security" }, $("h2", null, "Security schemes"),
    table(["Scheme", "Type", "Description"], Object.entries(doc.components.securitySchemes).map(([k, s]) => [$("code", null, k), s.type + (s.scheme ? " " + s.scheme : " in " + s.in + " " + s.name), s.description || ""]))));
  root.append($("section", { id: "problems" }, $("h2", null, "Problem types"),
    table(["Type", "Title", "Status"], doc.components.schemas.ProblemType.oneOf.map((p) => [$("code", null, p.const), p.title, p.description]))));
  const schemas = $("section", { id: "schemas" }, $("h2", null, "Schemas"));
  for (const [name, s] of Object.entries(doc.components.schemas)) schemas.append($("div", { id: "schema-" + name }, $("h3", null, name), json(s)));
  root.append(schemas);
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
})();
`;

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:16px 24px;color:#1b1f24}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}pre{background:#f6f8fa;padding:8px;overflow:auto;border-radius:6px}
details{border:1px solid #d0d7de;border-radius:6px;margin:6px 0;padding:4px 10px}summary{cursor:pointer}
.method{display:inline-block;min-width:64px;font-weight:700;font-size:12px}.m-get{color:#0969da}.m-post{color:#116329}.m-put,.m-patch{color:#7d4e00}.m-delete{color:#a40e26}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;border-bottom:1px solid #d0d7de;padding:4px 6px;vertical-align:top}
:focus-visible{outline:3px solid #0a58ca}.desc{white-space:pre-line}`;

export function docsPage(nonce: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Telemetry Bridge API</title><style nonce="${nonce}">${STYLE}</style></head>
<body><header><h1>Telemetry Bridge API</h1><p><a href="/dashboard/">Dashboard</a></p></header>
<main id="doc"><p>Loading /openapi.json…</p><noscript>This page renders /openapi.json with JavaScript; read that document directly.</noscript></main>
<script nonce="${nonce}">${SCRIPT}</script></body></html>`;
}

/** Only the page's own script and style run; it may fetch only this origin. */
export function docsCsp(nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'`;
}
