/** The FixOps sample overlay mapped and applied to a tenant through the admin API. */
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { mapOverlay } from "../../shared/overlay.ts";
import overlayText from "../fixtures/samples/fixops.overlay.yml?raw";
import { admin, createTenant } from "../fixtures/bridge.ts";

describe("FixOps overlay", () => {
  it("yields max_lines 200000, max_seconds 21600, retention 7/30/365 and the forward URL", async () => {
    await createTenant("overlay-t");
    const mapping = mapOverlay(parse(overlayText), { store: "keep" });
    expect((await admin("/v1/admin/tenants/overlay-t/config", "PUT", mapping.config)).status).toBe(200);
    const config = await (await admin("/v1/admin/tenants/overlay-t/config")).json();
    expect(config).toEqual({
      ring_buffer: { max_lines: 200000, max_seconds: 21600 },
      retention_days: { raw: 7, summary: 30, evidence: 365 },
      forwarding: { mode: "http", fixops_url: "https://fixops.example/api/v1/telemetry", api_key_secret_ref: "FIXOPS_API_KEY" },
    });
  });

  it("reports every key it does not apply, with a reason", () => {
    const mapping = mapOverlay(parse(overlayText), { store: "gcp" });
    const ignored = mapping.ignored.map((i) => i.key);
    expect(ignored).toEqual(expect.arrayContaining(["fluentbit.input_path", "vector.flush_interval", "azure.event_hub", "gcp.project_id", "aws.s3_bucket (+ aws.region)"]));
    expect(mapping.config.evidence_store).toMatchObject({ provider: "s3", endpoint: "https://storage.googleapis.com/", bucket: "fixops-evidence" });
    for (const i of mapping.ignored) expect(i.reason.length).toBeGreaterThan(10);
    expect(mapOverlay({ other: 1 }).ignored).toEqual([{ key: "telemetry_bridge", reason: expect.stringMatching(/missing/) }]);
  });
});
