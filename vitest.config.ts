import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Test-only signing keys (committed on purpose; never used outside the test suite).
const testKeys = JSON.parse(readFileSync(new URL("./test/fixtures/test-signing-keys.json", import.meta.url), "utf8")) as { keys: unknown[] };

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          EVIDENCE_SIGNING_KEYS: JSON.stringify({ keys: testKeys.keys }),
        },
      },
    }),
  ],
  test: {
    include: ["test/unit/**/*.test.ts", "test/durable-objects/**/*.test.ts", "test/integration/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
