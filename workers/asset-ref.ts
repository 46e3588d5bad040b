/** The AssetRef a read or control route hands an AssetLog: identity plus the tenant's effective config. */
import type { Context } from "hono";
import { assetRules } from "../shared/asset-rules.ts";
import { effectiveRing } from "../shared/config.ts";
import type { AssetRef } from "../durable-objects/asset-log/asset-log.ts";
import { assetObjectName } from "../durable-objects/env.ts";
import type { AppEnv } from "./app-env.ts";

export function assetRef(c: Context<AppEnv>, asset: string): AssetRef {
  const config = c.get("tenantConfig");
  return { tenant: c.get("principal").tenant, asset, ring: effectiveRing(c.env, config), rules: assetRules(c.env, config) };
}

export function assetStub(c: Context<AppEnv>, asset: string) {
  return c.env.ASSET_LOG.getByName(assetObjectName(c.get("principal").tenant, asset));
}
