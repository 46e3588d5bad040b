/**
 * Builds the dashboard (dashboard/) into build/assets/, the directory wrangler serves as Workers
 * static assets (`[assets]` in wrangler.toml): esbuild bundles dashboard/main.ts, with the shared
 * evidence verifier and @noble/hashes, into one ES module; index.html, style.css and the
 * `_headers` file (CSP for the assets) are copied. Run by `npm start`, `npm run build` and
 * vitest.config.ts (so `npm test` and the e2e runs have it); `node scripts/build-dashboard.ts`
 * alone builds it too. Takes well under a second.
 */
import { build, context, type BuildOptions, type OutputFile, type Plugin } from "esbuild";
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SOURCE = join(ROOT, "dashboard");
/** The `[assets] directory` of wrangler.toml. */
export const ASSETS_DIR = join(ROOT, "build", "assets");
const OUT = join(ASSETS_DIR, "dashboard");
const COPIED: [from: string, to: string][] = [
  [join(SOURCE, "index.html"), join(OUT, "index.html")],
  [join(SOURCE, "style.css"), join(OUT, "style.css")],
  // _headers applies to the whole assets directory, so it sits at its root.
  [join(SOURCE, "_headers"), join(ASSETS_DIR, "_headers")],
];

/**
 * Each file is written beside its target and renamed over it: a `wrangler dev` (or a second
 * test run) reading the directory never sees half a file.
 */
function writeAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function writeOutputs(files: OutputFile[] | undefined): number {
  let bytes = 0;
  for (const f of files ?? []) {
    writeAtomic(f.path, f.contents);
    bytes += f.contents.byteLength;
  }
  for (const [from, to] of COPIED) {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, `${to}.${process.pid}.tmp`);
    renameSync(`${to}.${process.pid}.tmp`, to);
  }
  return bytes;
}

function options(dev: boolean): BuildOptions {
  return {
    entryPoints: { app: join(SOURCE, "main.ts") },
    outdir: OUT,
    bundle: true,
    format: "esm",
    // Ed25519 in WebCrypto and DecompressionStream: Chrome 137, Firefox 129, Safari 17.
    target: ["es2022"],
    platform: "browser",
    minify: !dev,
    sourcemap: dev ? "linked" : false,
    legalComments: "none",
    write: false,
    logLevel: "warning",
  };
}

/** Build once; returns the bundle size in bytes. */
export async function buildDashboard(): Promise<number> {
  const result = await build(options(false));
  return writeOutputs(result.outputFiles);
}

/** Build, then rebuild on every change under dashboard/ or shared/ (for `npm start`). */
export async function watchDashboard(): Promise<void> {
  const rewrite: Plugin = { name: "write-outputs", setup: (b) => void b.onEnd((r) => void writeOutputs(r.outputFiles)) };
  const ctx = await context({ ...options(true), plugins: [rewrite] });
  await ctx.rebuild();
  await ctx.watch();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await buildDashboard();
  console.log(`Dashboard: ${relative(ROOT, OUT)}/app.js ${(bytes / 1024).toFixed(1)} KiB`);
}
