#!/usr/bin/env node
/**
 * telemetry-bridge CLI (Node 22+, no build step): verify evidence bundles offline,
 * make signing keys, download bundles. Run as `npm run cli -- <command>` in this
 * repository, or `node bin/telemetry-bridge.ts <command>` with Node >= 22.18.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BUNDLE_FILES, BUNDLE_ID_RE } from "../shared/evidence/bundle-layout.ts";
import { nodeHasher } from "../shared/evidence/node-hasher.ts";
import { generateSigningKey, publicJwk } from "../shared/evidence/signing-keys.ts";
import { VERIFY_CODES, verifyBundle, type VerifyReport } from "../shared/evidence/verify.ts";

const USAGE = `Usage: telemetry-bridge <command> [options]

Commands:
  verify        check an evidence bundle offline against published keys
  keygen        make an Ed25519 evidence signing key
  fetch-bundle  download a bundle's three files from a bridge

Run "telemetry-bridge <command> --help" for a command's options.`;

const HELP: Record<string, string> = {
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

function fail(message: string, code = 2): never {
  console.error(`telemetry-bridge: ${message}`);
  process.exit(code);
}

/** Split argv into positionals and --flags (a flag takes the next value unless it is boolean). */
function parseArgs(argv: string[], booleans: string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
    } else if (booleans.includes(a.slice(2))) {
      flags.set(a.slice(2), true);
    } else {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      flags.set(a.slice(2), v);
    }
  }
  return { positional, flags };
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    fail(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

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
  const report: VerifyReport = await verifyBundle(files, { jwks, hasher: nodeHasher, ...(previous ? { previous } : {}) });
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

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = { verify, keygen, "fetch-bundle": fetchBundle };

const [command, ...rest] = process.argv.slice(2);
if (!command || command === "--help" || command === "-h" || command === "help") {
  console.log(USAGE);
} else if (!COMMANDS[command]) {
  fail(`unknown command "${command}"\n\n${USAGE}`);
} else {
  await COMMANDS[command](rest);
}
