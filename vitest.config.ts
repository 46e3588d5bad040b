import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { ADMIN_TOKEN: "test-admin-token" },
      },
    }),
  ],
  test: {
    include: ["test/unit/**/*.test.ts", "test/durable-objects/**/*.test.ts", "test/integration/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
