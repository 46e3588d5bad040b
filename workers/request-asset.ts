/** The asset a request names outside its body: `X-Asset-Id` header or `?asset=`. */
import { isValidAssetId } from "../shared/events.ts";
import { ApiError } from "./api-error.ts";
import { requestUrl } from "./request-url.ts";

export function requestAsset(req: Request): string | undefined {
  const header = req.headers.get("x-asset-id") ?? undefined;
  const query = requestUrl(req).searchParams.get("asset") ?? undefined;
  if (header !== undefined && query !== undefined && header !== query) {
    throw new ApiError("invalid_parameter", "X-Asset-Id and ?asset= name different assets.");
  }
  const asset = header ?? query;
  if (asset !== undefined && !isValidAssetId(asset)) {
    throw new ApiError("invalid_parameter", "Asset ids are 1-128 characters of [A-Za-z0-9._:/@-].", {
      errors: [{ pointer: header !== undefined ? "/headers/x-asset-id" : "/query/asset", detail: "invalid asset id" }],
    });
  }
  return asset;
}
