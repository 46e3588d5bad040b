/** The `{asset}` of an `/v1/assets/{asset}/...` path, validated. */
import type { Context } from "hono";
import { isValidAssetId } from "../shared/events.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

export function assetFromPath(c: Context<AppEnv>): string {
  const asset = c.req.param("asset") ?? "";
  if (!isValidAssetId(asset)) {
    throw new ApiError("invalid_parameter", "Asset ids are 1-128 characters of [A-Za-z0-9._:/@-].", {
      errors: [{ pointer: "/path/asset", detail: "invalid asset id" }],
    });
  }
  return asset;
}
