/**
 * AWS push routes: CloudWatch Logs via a forwarder (`POST /v1/ingest/aws/cloudwatch`), and the
 * Firehose HTTP endpoint (`POST /v1/ingest/aws/firehose`), which answers in Firehose's own shape:
 * `{"requestId","timestamp"}` with 200 only when every record is stored, else the same with
 * `errorMessage` (Firehose retries anything but 200, and gives up at once on 413).
 */
import { Hono, type Context } from "hono";
import { sha256Hex } from "../../shared/hex.ts";
import { RETRY_AFTER_SECONDS } from "../../shared/limits.ts";
import { PROBLEM_CODES } from "../../shared/problem.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { authenticate, requireScope } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { decodeCloudWatch } from "../connectors/aws-cloudwatch.ts";
import { commonAttributes, decodeFirehose, firehoseRequestId } from "../connectors/aws-firehose.ts";
import { requestAsset } from "../request-asset.ts";
import { batchAnswer, decodeRequest, storeEvents } from "./ingest.ts";

export const ingestAws = new Hono<AppEnv>();

ingestAws.post("/v1/ingest/aws/cloudwatch", requireScope("ingest"), async (c) => {
  const { events, text } = await decodeRequest(c, decodeCloudWatch);
  // A forwarder that retries sends the same payload: its digest identifies the redelivery.
  const { outcomes, accepted } = await storeEvents(c, events, `cw:${await sha256Hex(text)}`);
  // Forwarders retry on any non-2xx and count 207 as done: a partial store asks for the retry,
  // which stores only what is missing.
  if (outcomes.some((o) => o.error)) {
    throw new ApiError("unavailable", "Some log events could not be stored yet; retry the delivery.", { headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } });
  }
  return batchAnswer(c, outcomes, accepted);
});

function firehoseReply(c: Context<AppEnv>, requestId: string | undefined, status: number, errorMessage?: string, headers: Record<string, string> = {}) {
  const body: Record<string, unknown> = { requestId: requestId ?? "", timestamp: Date.now() };
  if (errorMessage !== undefined) body.errorMessage = errorMessage;
  return c.json(body, status as 200, headers);
}

ingestAws.post("/v1/ingest/aws/firehose", async (c) => {
  const headerRequestId = c.req.header("x-amz-firehose-request-id");
  let requestId = headerRequestId;
  const credential = c.req.header("x-amz-firehose-access-key") ?? /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!credential) return firehoseReply(c, requestId, 401, "Set the delivery stream's access key to a bridge API key.");
  const auth = await authenticate(c.env, credential);
  if (!auth) return firehoseReply(c, requestId, 401, "The access key is not valid.");
  if (!auth.principal.scopes.includes("ingest")) return firehoseReply(c, requestId, 403, 'The access key lacks the "ingest" scope.');
  c.set("principal", auth.principal);
  c.set("tenantConfig", auth.config);
  try {
    const text = await readBodyText(c.req.raw);
    requestId ??= firehoseRequestId(text);
    const asset = requestAsset(c.req.raw);
    const decoded = decodeFirehose(text, {
      receivedAt: Date.now(),
      attributes: commonAttributes(c.req.header("x-amz-firehose-common-attributes") ?? null),
      ...(asset ? { asset } : {}),
      ...(headerRequestId ? { headerRequestId } : {}),
    });
    if (!decoded.ok) {
      const [status] = PROBLEM_CODES[decoded.error.code];
      const where = decoded.error.errors?.[0]?.pointer;
      return firehoseReply(c, requestId, status, `${decoded.error.detail}${where ? ` (${where})` : ""}`);
    }
    requestId = decoded.value.requestId;
    // Firehose retries a failed delivery with the same request id: with the stream's ARN, its redelivery key.
    const stream = (c.req.header("x-amz-firehose-source-arn") ?? "").slice(0, 512);
    const { outcomes } = await storeEvents(c, decoded.value.events, `fh:${stream}:${requestId}`);
    if (outcomes.some((o) => o.error)) {
      return firehoseReply(c, requestId, 503, "Some records could not be stored yet; retry the delivery.", { "Retry-After": "2" });
    }
    return firehoseReply(c, requestId, 200);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return firehoseReply(c, requestId, PROBLEM_CODES[e.code][0], e.message, e.headers);
  }
});
