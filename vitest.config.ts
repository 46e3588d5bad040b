import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";
import { fakeFixops } from "./test/support/fake-fixops.ts";
import { buildDashboard } from "./scripts/build-dashboard.ts";

// wrangler.toml serves build/assets ([assets]): build the dashboard before any test reads that config.
await buildDashboard();

// Test-only signing keys (committed on purpose; never used outside the test suite).
const testKeys = JSON.parse(readFileSync(new URL("./test/fixtures/test-signing-keys.json", import.meta.url), "utf8")) as { keys: unknown[] };
// Soak counts for the fuzz and crash suites (`npm run test:soak`); read with test/support/soak.ts.
const soak = { full: process.env.SOAK === "1", fuzzRuns: Number(process.env.FUZZ_RUNS) || 0, crashKills: Number(process.env.CRASH_KILLS) || 0 };

export default defineConfig({
  test: {
    projects: [
      {
        // Worker, Durable Objects and shared code, inside workerd with real DO and R2 storage.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                EVIDENCE_SIGNING_KEYS: JSON.stringify({ keys: testKeys.keys }),
                // The FixOps API key forwarding tests send (a Worker secret named by tenant config).
                FIXOPS_TEST_API_KEY: "fixops-test-key-not-a-secret",
                ALERT_WEBHOOK_TEST_SECRET: "webhook-test-secret-not-a-secret",
                // A secret that is set but empty (an operator mistake): treated as not set.
                EMPTY_TEST_SECRET: "",
                // The hash salt a redaction profile names (hash_salt_ref; docs/enrichment-and-redaction.md).
                REDACTION_SALT_TEST: "redaction-test-salt-not-a-secret",
                // Export destinations' credentials (the fake Splunk and Elasticsearch record what they get).
                SPLUNK_TEST_TOKEN: "splunk-test-token-not-a-secret",
                ELASTIC_TEST_API_KEY: "elastic-test-key-not-a-secret",
                // Credentials of an S3 evidence store that is down (*.down.test answers 503).
                EVIDENCE_TEST_S3_KEY_ID: "AKIDDOWNSTORE",
                EVIDENCE_TEST_S3_SECRET: "down-store-secret-not-a-secret",
              },
              // Outbound fetches (FixOps forwarding) reach a fake in this Node process.
              outboundService: fakeFixops,
            },
          }),
        ],
        test: {
          name: "workers",
          globalSetup: ["test/support/fake-stores-setup.ts"],
          include: ["test/unit/**/*.test.ts", "test/durable-objects/**/*.test.ts", "test/integration/**/*.test.ts"],
          testTimeout: 30_000,
          provide: { soak },
        },
      },
      {
        // The CLI on Node, and end-to-end runs against a real `wrangler dev` on 127.0.0.1.
        test: {
          name: "node",
          environment: "node",
          include: ["test/cli/**/*.test.ts", "test/e2e/**/*.test.ts", "forwarders/*/test/**/*.test.ts", "test/storage/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          provide: { soak },
        },
      },
    ],
  },
});
