/**
 * `npm run build`: build the dashboard's static assets (build/assets), bundle the Worker as
 * Cloudflare would (`wrangler deploy --dry-run`) into dist/, then print the bundle's size,
 * raw and gzipped (Workers limits apply to the compressed size: 3 MiB on the free plan,
 * 10 MiB on paid).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildDashboard } from "./build-dashboard.ts";

const OUT = "dist";
// The Worker deploys with its static assets (build/assets, the dashboard): build them first.
const dashboardBytes = await buildDashboard();
console.log(`Dashboard: build/assets/dashboard/app.js ${(dashboardBytes / 1024).toFixed(1)} KiB`);
const run = spawnSync("node_modules/.bin/wrangler", ["deploy", "--dry-run", "--outdir", OUT], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
});
if (run.status !== 0) process.exit(run.status ?? 1);

let raw = 0;
let gz = 0;
for (const name of readdirSync(OUT)) {
  const path = join(OUT, name);
  if (!statSync(path).isFile() || !/\.(m?js|wasm)$/.test(name)) continue;
  const bytes = readFileSync(path);
  raw += bytes.byteLength;
  gz += gzipSync(bytes, { level: 9 }).byteLength;
  console.log(`  ${name}: ${(bytes.byteLength / 1024).toFixed(1)} KiB`);
}
console.log(`Worker bundle: ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped (limit 3 MiB free / 10 MiB paid, compressed).`);
