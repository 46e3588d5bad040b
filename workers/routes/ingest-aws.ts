/** AWS push routes: CloudWatch Logs via a forwarder (`POST /v1/ingest/aws/cloudwatch`). */
import { Hono } from "hono";
import { sha256Hex } from "../../shared/hex.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";
import { decodeCloudWatch } from "../connectors/aws-cloudwatch.ts";
import { batchAnswer, decodeRequest, storeEvents } from "./ingest.ts";

export const ingestAws = new Hono<AppEnv>();

ingestAws.post("/v1/ingest/aws/cloudwatch", requireScope("ingest"), async (c) => {
  const { events, text } = await decodeRequest(c, decodeCloudWatch);
  // A forwarder that retries sends the same payload: its digest identifies the redelivery.
  const { outcomes, accepted } = await storeEvents(c, events, `cw:${await sha256Hex(text)}`);
  return batchAnswer(c, outcomes, accepted);
});
