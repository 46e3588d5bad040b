/** `GET /v1/assets` (scope read): the tenant's assets with first/last seen and event counts. */
import { Hono } from "hono";
import { isValidAssetId } from "../../shared/events.ts";
import { tenantObjectName } from "../../durable-objects/env.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";

export const assets = new Hono<AppEnv>();

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

assets.get("/v1/assets", requireScope("read"), async (c) => {
  const raw = c.req.query("limit");
  const limit = raw === undefined ? DEFAULT_PAGE : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new ApiError("invalid_parameter", `limit must be an integer from 1 to ${MAX_PAGE}.`);
  const cursor = c.req.query("cursor");
  if (cursor !== undefined && !isValidAssetId(cursor)) throw new ApiError("invalid_parameter", "cursor must be a value returned by a previous page.");
  const page = await c.env.TENANT.getByName(tenantObjectName(c.get("principal").tenant)).assets(limit, cursor);
  return c.json(page);
});
