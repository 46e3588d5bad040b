#!/usr/bin/env node
/**
 * telemetry-bridge CLI (Node 22+, no build step): send telemetry, follow a live tail, verify
 * evidence bundles offline, make signing keys, download bundles, apply a FixOps overlay. Run as `npm run cli -- <command>` in this
 * repository, or `node bin/telemetry-bridge.ts <command>` with Node >= 22.18.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BUNDLE_FILES, BUNDLE_ID_RE } from "../shared/evidence/bundle-layout.ts";
import { nodeVerifyOptions } from "../shared/evidence/node-verify.ts";
import { generateSigningKey, publicJwk } from "../shared/evidence/signing-keys.ts";
import { mapOverlay, type StoreChoice } from "../shared/overlay.ts";
import { decodeTenantConfig, type TenantConfig } from "../shared/tenant-config.ts";
import { parse as parseYaml } from "yaml";
import { VERIFY_CODES, verifyBundle, type VerifyReport } from "../shared/evidence/verify.ts";
import { fail, parseArgs, read } from "./cli-args.ts";
import { send } from "./send.ts";

const USAGE = `Usage: telemetry-bridge <command> [options]

Commands:
  send          ship a file of NDJSON/JSON records, or a sample stream, to a bridge
  verify        check an evidence bundle offline against published keys
  keygen        make an Ed25519 evidence signing key
  fetch-bundle  download a bundle's three files from a bridge
  overlay       show or apply a FixOps overlay's telemetry_bridge section to a tenant
  tail          follow an asset's live tail (WebSocket)

Run "telemetry-bridge <command> --help" for a command's options.`;

const HELP: Record<string, string> = {
  tail: `Usage: telemetry-bridge tail <asset> --url <bridge-url> [--key <api-key>] [--snapshot N]
                          [--level ERROR,WARN] [--text <substring>] [--from <seq>]

Prints the asset's newest N stored lines (default 50), then each new one as it is stored, one
JSON line each on stdout; heartbeats, alerts, gaps and lag reports go to stderr. --level and
--text filter on the server; --from replays from that seq first. The key (scope "read") comes
from --key or TB_API_KEY; it is sent only as a header, to get a 60 s token for the WebSocket URL.
Runs until interrupted; exit 1 when the bridge closes the connection with an error.`,
  overlay: `Usage: telemetry-bridge overlay show [<fixops.overlay.yml>] [--store keep|r2|aws|gcp|azure] [--azure-container NAME]
       telemetry-bridge overlay apply [<fixops.overlay.yml>] --tenant <id> --url <bridge-url>
                                      [--token <admin-token>] [--store ...] [--azure-container NAME]

Reads the telemetry_bridge section of a FixOps overlay (the file argument, or FIXOPS_OVERLAY_PATH)
and maps ring_buffer.*, retention_days.*, mode, fixops_url, api_key_secret_ref and the evidence
bucket of the cloud chosen with --store onto the tenant's configuration. Keys the bridge does not
use are listed with the reason, never dropped silently.

show   prints the mapping and the resulting configuration; changes nothing.
apply  merges it into the tenant's current configuration through the admin API (PUT
       /v1/admin/tenants/<id>/config). The token (ADMIN_TOKEN, or a key with scope admin of
       that tenant) comes from --token or TB_ADMIN_TOKEN. Exit 1 when the bridge refuses it.`,
  verify: `Usage: telemetry-bridge verify <bundle-dir | records.jsonl.gz statement.dsse.json> --jwks <jwks.json>
                              [--previous <bundle-dir>] [--json]

Checks, with no network access: the Ed25519 signature over the statement (DSSE), both subject
digests, the line count, consecutive seq numbers, and that the lines extend the Merkle log from
root_before to root_after. With --previous, also that this bundle names and continues that one.

Exit codes:
  0 valid               3 malformed          4 bad_payload_type   5 unknown_key
  6 bad_signature       7 digest_mismatch    8 count_mismatch     9 sequence_mismatch
  10 merkle_mismatch    11 chain_break       12 chain_gap         2 usage or unreadable files`,
  keygen: `Usage: telemetry-bridge keygen [--json]

Makes an Ed25519 signing key. Prints the private JWK set to put in the EVIDENCE_SIGNING_KEYS
secret (prepend the new key to the existing set to rotate: the first key signs, all stay
published) and the public JWK that /.well-known/jwks.json will publish. --json prints one object.`,
  "fetch-bundle": `Usage: telemetry-bridge fetch-bundle <bundle-id> --url <bridge-url> --out <dir> [--key <api-key>]

Downloads records.jsonl.gz, statement.dsse.json and metadata.json of a bundle into <dir>.
The API key (scope "evidence") comes from --key or the TB_API_KEY environment variable.`,
};

/** Bundle files from a directory or from explicit paths named by their file names. */
function bundleFiles(inputs: string[]): { records: Uint8Array; statement: string } {
  let recordsPath: string | undefined;
  let statementPath: string | undefined;
  for (const input of inputs) {
    if (existsSync(input) && statSync(input).isDirectory()) {
      recordsPath = join(input, "records.jsonl.gz");
      statementPath = join(input, "statement.dsse.json");
    } else if (basename(input).endsWith(".jsonl.gz")) {
      recordsPath = input;
    } else if (basename(input).endsWith(".json")) {
      statementPath = input;
    } else {
      fail(`${input}: give a bundle directory, or records.jsonl.gz and statement.dsse.json`);
    }
  }
  if (!recordsPath || !statementPath) fail("need both records.jsonl.gz and statement.dsse.json (or their directory)");
  return { records: new Uint8Array(read(recordsPath)), statement: read(statementPath).toString("utf8") };
}

async function verify(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv, ["json", "help"]);
  if (flags.has("help")) return void console.log(HELP.verify);
  const jwksPath = flags.get("jwks");
  if (typeof jwksPath !== "string" || positional.length === 0) fail(`verify needs a bundle and --jwks\n\n${HELP.verify}`);
  let jwks: unknown;
  try {
    jwks = JSON.parse(read(jwksPath).toString("utf8"));
  } catch {
    fail(`${jwksPath} is not JSON`);
  }
  const files = bundleFiles(positional);
  const previousDir = flags.get("previous");
  const previous = typeof previousDir === "string" ? { statement: bundleFiles([previousDir]).statement } : undefined;
  const started = performance.now();
  const report: VerifyReport = await verifyBundle(files, { jwks, ...nodeVerifyOptions(), ...(previous ? { previous } : {}) });
  const seconds = (performance.now() - started) / 1000;
  if (flags.has("json")) {
    console.log(JSON.stringify({ ...report, seconds: Number(seconds.toFixed(3)) }, null, 2));
  } else if (report.ok) {
    console.log(`OK  ${report.message}`);
    for (const c of report.checks) console.log(`    ✓ ${c}`);
    for (const w of report.warnings) console.log(`    ! ${w}`);
  } else {
    console.log(`FAIL  ${report.code}: ${report.message}`);
    for (const c of report.checks) console.log(`    ✓ ${c}`);
  }
  process.exitCode = VERIFY_CODES[report.code];
}

async function keygen(argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, ["json", "help"]);
  if (flags.has("help")) return void console.log(HELP.keygen);
  const key = await generateSigningKey();
  if (flags.has("json")) return void console.log(JSON.stringify({ private_jwks: { keys: [key] }, public_jwk: publicJwk(key) }, null, 2));
  console.log(`# kid ${key.kid}`);
  console.log("# Private JWK set, for the EVIDENCE_SIGNING_KEYS secret (keep it secret):");
  console.log(JSON.stringify({ keys: [key] }));
  console.log("# Public JWK, as /.well-known/jwks.json will publish it:");
  console.log(JSON.stringify(publicJwk(key)));
}

async function fetchBundle(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv, ["help"]);
  if (flags.has("help")) return void console.log(HELP["fetch-bundle"]);
  const [id] = positional;
  const url = flags.get("url");
  const out = flags.get("out");
  const key = flags.get("key") ?? process.env.TB_API_KEY;
  if (!id || typeof url !== "string" || typeof out !== "string") fail(`fetch-bundle needs a bundle id, --url and --out\n\n${HELP["fetch-bundle"]}`);
  if (!BUNDLE_ID_RE.test(id)) fail(`${id} is not a bundle id (evidence-yyyymmdd-hhmmss-xxxxxxxx)`);
  if (typeof key !== "string") fail("no API key: pass --key or set TB_API_KEY");
  mkdirSync(out, { recursive: true });
  for (const file of BUNDLE_FILES) {
    const res = await fetch(new URL(`/v1/bundles/${id}/${file}`, url), { headers: { Authorization: `Bearer ${key}` } }).catch((e: Error) => fail(`cannot reach ${url}: ${e.message}`));
    if (!res.ok) fail(`${file}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    writeFileSync(join(out, file), new Uint8Array(await res.arrayBuffer()));
    console.log(`${join(out, file)}`);
  }
}

async function tail(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv, ["help"]);
  if (flags.has("help")) return void console.log(HELP.tail);
  const [asset] = positional;
  const url = flags.get("url");
  const key = flags.get("key") ?? process.env.TB_API_KEY;
  if (!asset || typeof url !== "string") fail(`tail needs an asset and --url\n\n${HELP.tail}`);
  if (typeof key !== "string") fail("no API key: pass --key or set TB_API_KEY");
  const path = `/v1/assets/${encodeURIComponent(asset)}/tail`;
  const res = await fetch(new URL(`${path}/token`, url), { method: "POST", headers: { Authorization: `Bearer ${key}` } })
    .catch((e: Error) => fail(`cannot reach ${url}: ${e.message}`));
  if (!res.ok) fail(`tail token: ${res.status} ${(await res.text()).slice(0, 300)}`, 1);
  const { token } = (await res.json()) as { token: string };
  const ws = new URL(`${path}?token=${encodeURIComponent(token)}`, url);
  ws.protocol = ws.protocol === "https:" ? "wss:" : "ws:";
  const snapshot = flags.get("snapshot");
  if (typeof snapshot === "string") ws.searchParams.set("snapshot", snapshot);
  const level = flags.get("level");
  const text = flags.get("text");
  const from = flags.get("from");
  const socket = new WebSocket(ws);
  socket.addEventListener("message", (e) => {
    const frame = JSON.parse(String(e.data)) as { type: string; events?: unknown[]; event?: unknown };
    if (frame.type === "snapshot") {
      for (const ev of frame.events ?? []) console.log(JSON.stringify(ev));
      if (typeof level === "string" || typeof text === "string") {
        socket.send(JSON.stringify({ type: "filter", level: typeof level === "string" ? level.split(",") : undefined, text: typeof text === "string" ? text : undefined }));
      }
      if (typeof from === "string") socket.send(JSON.stringify({ type: "resume", seq: Number(from) }));
    } else if (frame.type === "event") {
      console.log(JSON.stringify(frame.event));
    } else {
      console.error(`# ${String(e.data)}`);
    }
  });
  await new Promise<void>((resolve) => {
    socket.addEventListener("close", (e) => {
      if (e.code !== 1000) fail(`connection closed: ${e.code} ${e.reason}`, 1);
      resolve();
    });
  });
}

function overlayMapping(positional: string[], flags: Map<string, string | true>) {
  const file = positional[0] ?? process.env.FIXOPS_OVERLAY_PATH;
  if (!file) fail(`overlay needs a file or FIXOPS_OVERLAY_PATH\n\n${HELP.overlay}`);
  let doc: unknown;
  try {
    doc = parseYaml(read(file).toString("utf8"));
  } catch (e) {
    fail(`${file} is not YAML: ${(e as Error).message}`);
  }
  const store = (flags.get("store") ?? "keep") as StoreChoice;
  if (!["keep", "r2", "aws", "gcp", "azure"].includes(store)) fail("--store is one of keep, r2, aws, gcp, azure");
  const container = flags.get("azure-container");
  return mapOverlay(doc, { store, ...(typeof container === "string" ? { azureContainer: container } : {}) });
}

/** Section-wise merge: the overlay's sections replace the same sections' keys, others stay. */
function merge(current: TenantConfig, overlay: TenantConfig): TenantConfig {
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(overlay)) {
    const cur = (current as Record<string, unknown>)[k];
    out[k] = typeof v === "object" && v !== null && !Array.isArray(v) && typeof cur === "object" && cur !== null && k !== "evidence_store" ? { ...cur, ...v } : v;
  }
  return out as TenantConfig;
}

async function overlay(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { positional, flags } = parseArgs(rest, ["help"]);
  if (!action || action === "--help" || flags.has("help")) return void console.log(HELP.overlay);
  if (action !== "show" && action !== "apply") fail(`overlay ${action}: use show or apply\n\n${HELP.overlay}`);
  const mapping = overlayMapping(positional, flags);
  for (const a of mapping.applied) console.log(`  ${a.from} -> ${a.to} = ${JSON.stringify(a.value)}`);
  for (const i of mapping.ignored) console.log(`  ${i.key}: not applied (${i.reason})`);
  const validate = (config: TenantConfig): TenantConfig => {
    const checked = decodeTenantConfig(config);
    if (checked.ok) return checked.value;
    for (const e of checked.error) console.error(`  invalid ${e.pointer}: ${e.detail}`);
    return fail("the overlay maps to an invalid configuration", 1);
  };
  if (action === "show") return void console.log(JSON.stringify(validate(mapping.config), null, 2));

  const tenant = flags.get("tenant");
  const url = flags.get("url");
  const token = flags.get("token") ?? process.env.TB_ADMIN_TOKEN;
  if (typeof tenant !== "string" || typeof url !== "string") fail(`overlay apply needs --tenant and --url\n\n${HELP.overlay}`);
  if (typeof token !== "string") fail("no admin token: pass --token or set TB_ADMIN_TOKEN");
  const endpoint = new URL(`/v1/admin/tenants/${encodeURIComponent(tenant)}/config`, url);
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const got = await fetch(endpoint, { headers }).catch((e: Error) => fail(`cannot reach ${url}: ${e.message}`));
  if (!got.ok) fail(`reading the tenant's config: ${got.status} ${(await got.text()).slice(0, 300)}`, 1);
  // Merge first, then validate: the overlay may carry only part of a section.
  const merged = validate(merge((await got.json()) as TenantConfig, mapping.config));
  const put = await fetch(endpoint, { method: "PUT", headers, body: JSON.stringify(merged) });
  const text = await put.text();
  if (!put.ok) fail(`the bridge refused the configuration: ${put.status} ${text.slice(0, 1000)}`, 1);
  console.log(`Applied to tenant ${tenant}:`);
  console.log(JSON.stringify(JSON.parse(text), null, 2));
}

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = { send, verify, keygen, "fetch-bundle": fetchBundle, overlay, tail };

const [command, ...rest] = process.argv.slice(2);
if (!command || command === "--help" || command === "-h" || command === "help") {
  console.log(USAGE);
} else if (!COMMANDS[command]) {
  fail(`unknown command "${command}"\n\n${USAGE}`);
} else {
  await COMMANDS[command](rest);
}
