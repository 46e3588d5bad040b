// Types for tests: the Worker's Env and main module, so `env` and `exports` from
// "cloudflare:workers" are typed; `?raw` imports of fixtures are strings.
type BridgeEnv = import("../durable-objects/env.ts").Env;

declare namespace Cloudflare {
  interface Env extends BridgeEnv {}
  interface GlobalProps {
    mainModule: typeof import("../workers/index.ts");
    durableNamespaces: "AssetLog" | "Tenant" | "TenantDirectory";
  }
}

declare module "*?raw" {
  const text: string;
  export default text;
}

// Vite's import.meta.glob, which the test runner compiles (the decoder fuzz lists connector modules with it).
interface ImportMeta {
  glob(pattern: string): Record<string, () => Promise<unknown>>;
}
