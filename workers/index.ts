/** Worker entry: wires the HTTP app, the cron handler and the Durable Object classes. */
import { app } from "./app.ts";
import { scheduled } from "./scheduled.ts";
import type { Env } from "../durable-objects/env.ts";

export { AssetLog } from "../durable-objects/asset-log/asset-log.ts";
export { Tenant } from "../durable-objects/tenant/tenant.ts";
export { TenantDirectory } from "../durable-objects/tenant-directory/tenant-directory.ts";

export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>;
