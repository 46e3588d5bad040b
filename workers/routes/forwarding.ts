/**
 * The FixOps forwarding dead-letter queue of an asset (docs/forwarding.md):
 * `GET /v1/assets/{asset}/forwarding/dlq` (scope read) and
 * `POST /v1/assets/{asset}/forwarding/dlq/redrive` (scope admin), body optional `{"ids": [...]}`.
 */
import { Hono } from "hono";
import { FORWARD_DLQ_MAX } from "../../shared/limits.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { assetFromPath } from "../asset-param.ts";
import { assetRef, assetStub } from "../asset-ref.ts";
import { requireScope } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { parseJson } from "../connectors/json-text.ts";

export const forwarding = new Hono<AppEnv>();

/** Dead-letter ids: `<from>-<until>` for FixOps intervals, `alert-<alert id>` for webhooks. */
const DLQ_ID_RE = /^(\d{1,16}-\d{1,16}|alert-\d{1,16}-[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;

forwarding.get("/v1/assets/:asset/forwarding/dlq", requireScope("read"), async (c) => {
  const asset = assetFromPath(c);
  const raw = c.req.query("limit");
  const limit = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > FORWARD_DLQ_MAX) throw new ApiError("invalid_parameter", `limit must be an integer from 1 to ${FORWARD_DLQ_MAX}.`);
  const res = await assetStub(c, asset).deadLetters(assetRef(c, asset), limit);
  return c.json({ asset, depth: res.depth, outbox: res.outbox, dead_letters: res.dead_letters });
});

forwarding.post("/v1/assets/:asset/forwarding/dlq/redrive", requireScope("admin"), async (c) => {
  const asset = assetFromPath(c);
  const text = await readBodyText(c.req.raw);
  let ids: string[] | undefined;
  if (text.trim()) {
    const parsed = parseJson(text);
    if (!parsed.ok) throw new ApiError(parsed.error.code, parsed.error.detail);
    const v = parsed.value as { ids?: unknown };
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ApiError("unprocessable", "The body must be a JSON object.");
    if (v.ids !== undefined) {
      if (!Array.isArray(v.ids) || v.ids.length > FORWARD_DLQ_MAX || !v.ids.every((x) => typeof x === "string" && DLQ_ID_RE.test(x))) {
        throw new ApiError("unprocessable", "ids must be an array of dead-letter ids as the DLQ listing shows them.", { errors: [{ pointer: "/ids", detail: "invalid" }] });
      }
      ids = v.ids as string[];
    }
  }
  const res = await assetStub(c, asset).redrive(assetRef(c, asset), ids);
  return c.json({ asset, redriven: res.redriven });
});
