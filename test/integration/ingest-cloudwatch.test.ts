/** POST /v1/ingest/aws/cloudwatch: a forwarder's {"awslogs":{"data":…}} payloads, real-shaped. */
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../shared/hex.ts";
import lambdaEvent from "../fixtures/samples/aws-cloudwatch-lambda-event.json?raw";
import control from "../fixtures/samples/aws-cloudwatch-control-message.decoded.json?raw";
import subscription from "../fixtures/samples/aws-cloudwatch-subscription.decoded.json?raw";
import { expectProblem, gzip, post, tenantWithKey, storedLines } from "../fixtures/bridge.ts";

const ROUTE = "/v1/ingest/aws/cloudwatch";

async function awslogs(decoded: string | Uint8Array): Promise<string> {
  const gz = typeof decoded === "string" ? await gzip(decoded) : decoded;
  return JSON.stringify({ awslogs: { data: toBase64(gz) } });
}

const stored = storedLines;

describe("CloudWatch Logs via a forwarder", () => {
  it("stores one event per log event under the log group, with the source's time and id", async () => {
    const key = await tenantWithKey("cw-sample");
    const res = await post(ROUTE, key, lambdaEvent);
    expect(await res.json()).toEqual({ ok: true, accepted: 3, assets: { "/aws/waf/prod": 3 } });
    const lines = await stored(key, "/aws/waf/prod");
    expect(lines.map((l) => [l.source, l.id, l.ts, l.record.action, l.record.latency_ms])).toEqual([
      ["aws.cloudwatch", "37920000000000000000000000000000000000000000000000000000", "2025-11-24T08:00:00.000Z", "BLOCK", 125],
      ["aws.cloudwatch", "37920000000000000000000000000000000000000000000000000001", "2025-11-24T08:00:01.000Z", "BLOCK", 89],
      ["aws.cloudwatch", "37920000000000000000000000000000000000000000000000000002", "2025-11-24T08:00:02.000Z", "ALLOW", 15],
    ]);
  });

  it("drops a forwarder's retry of the same payload, and honours ?asset= and plain-text messages", async () => {
    const key = await tenantWithKey("cw-retry");
    const body = await awslogs(subscription);
    expect((await post(ROUTE, key, body)).headers.get("idempotent-replay")).toBeNull();
    expect((await post(ROUTE, key, body)).headers.get("idempotent-replay")).toBe("true");
    expect(await stored(key, "/aws/waf/prod")).toHaveLength(3);
    const text = JSON.stringify({ ...JSON.parse(subscription), logEvents: [{ id: "1", timestamp: 1763971200000, message: "plain line ERROR" }] });
    expect(await (await post(`${ROUTE}?asset=app-1`, key, await awslogs(text))).json()).toMatchObject({ assets: { "app-1": 1 } });
    expect((await stored(key, "app-1"))[0].record).toEqual({ message: "plain line ERROR" });
  });

  it("acknowledges CloudWatch's control message and stores nothing", async () => {
    const key = await tenantWithKey("cw-control");
    expect(await (await post(ROUTE, key, await awslogs(control))).json()).toEqual({ ok: true, accepted: 0, assets: {} });
  });

  it("answers malformed payloads with 4xx problems and stores nothing", async () => {
    const key = await tenantWithKey("cw-bad");
    const bomb = await gzip(" ".repeat(51 * 1024 * 1024));
    const cases: [string, number][] = [
      ["{}", 422],
      ['{"awslogs":{}}', 422],
      ['{"awslogs":{"data":"%%%not base64"}}', 400],
      [JSON.stringify({ awslogs: { data: btoa("not gzip at all") } }), 400],
      [await awslogs(bomb), 413],
      [await awslogs("[1,2]"), 422],
      [await awslogs(JSON.stringify({ messageType: "DATA_MESSAGE", logGroup: "g", logStream: "s", logEvents: [{ id: 1, timestamp: "x", message: 5 }] })), 422],
      [await awslogs(JSON.stringify({ messageType: "OTHER", logGroup: "g", logStream: "s", logEvents: [] })), 422],
      [await awslogs("{not json"), 400],
    ];
    for (const [body, status] of cases) await expectProblem(await post(`${ROUTE}?asset=bad`, key, body), status);
    expect(await stored(key, "bad")).toEqual([]);
  });
});
