/** `GET /.well-known/jwks.json`: every evidence verification key (public parts only), retired ones included. */
import { Hono } from "hono";
import { parseSigningKeys } from "../../shared/evidence/signing-keys.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { log } from "../log.ts";

export const jwks = new Hono<AppEnv>();

jwks.get("/.well-known/jwks.json", async (c) => {
  const keys = await parseSigningKeys(c.env.EVIDENCE_SIGNING_KEYS);
  if (!keys.ok) {
    log.error("SigningKeysInvalid", { reason: keys.error });
    throw new ApiError("unavailable", "Evidence signing keys are not configured on this deployment.");
  }
  return c.json({ keys: keys.value.publicKeys }, 200, { "Cache-Control": "public, max-age=300" });
});
