/** Tenant configuration: every section accepted in its documented shape, and pointed errors otherwise. */
import { describe, expect, it } from "vitest";
import { decodeTenantConfig } from "../../shared/tenant-config.ts";

const FULL = {
  ring_buffer: { max_lines: 200000, max_seconds: 21600 },
  retention_days: { raw: 7, summary: 30, evidence: 365 },
  evidence_store: {
    provider: "s3", endpoint: "https://s3.eu-west-1.amazonaws.com", region: "eu-west-1", bucket: "fixops-evidence",
    path_style: true, access_key_id_ref: "S3_KEY_ID", secret_access_key_ref: "S3_SECRET", object_lock: { mode: "COMPLIANCE", retain_days: 365 },
  },
  forwarding: { mode: "http", fixops_url: "https://fixops.example/api/v1/telemetry", api_key_secret_ref: "FIXOPS_API_KEY", interval_seconds: 60 },
  counting_rules: [{ name: "waf-blocks", fields: ["action", "properties.action"], values: ["BLOCK", "DENY"] }],
  latency_fields: ["latency_ms", "properties.latency_ms"],
  alert_rules: [
    { name: "errors", type: "error_rate", min_count: 5, window_seconds: 60, cooldown_seconds: 300 },
    { name: "slow", type: "threshold", field: "latency_ms", above: 1000 },
    { name: "panic", type: "pattern", pattern: "panic|fatal" },
    { name: "crit", type: "level", levels: ["CRITICAL"] },
  ],
  asset_mapping: { record_field: "host", aliases: { "node-3": "edge-waf" } },
  quotas: { requests_per_minute: 6000, events_per_minute: 600000, asset_events_per_second: 5000 },
  jwt: { issuers: [{ issuer: "https://idp.example", audience: "telemetry-bridge", jwks: { keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b" }] }, scope_map: { "telemetry.write": ["ingest"] } }] },
};

describe("decodeTenantConfig", () => {
  it("accepts every section in its documented shape, filling defaults", () => {
    const res = decodeTenantConfig(FULL);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    // URLs come back normalised.
    expect(res.value.evidence_store).toEqual({ ...FULL.evidence_store, endpoint: "https://s3.eu-west-1.amazonaws.com/" });
    expect(res.value.jwt!.issuers[0]).toMatchObject({ algorithms: ["RS256", "ES256", "EdDSA"], scope_claim: "scope", default_scopes: [] });
    expect(decodeTenantConfig({ evidence_store: { provider: "r2" } })).toEqual({ ok: true, value: { evidence_store: { provider: "r2" } } });
  });

  it("points at every invalid value, and never lets a secret or private key in", () => {
    const cases: [unknown, string][] = [
      [{ ring_buffer: { max_lines: 0 } }, "/ring_buffer/max_lines"],
      [{ toString: {} }, "/toString"],
      [{ evidence_store: { provider: "ftp" } }, "/evidence_store/provider"],
      [{ evidence_store: { ...FULL.evidence_store, secret_access_key_ref: "wJalrXUtnFEMI/K7MDENG" } }, "/evidence_store/secret_access_key_ref"],
      [{ evidence_store: { ...FULL.evidence_store, endpoint: "https://user:pass@s3.example" } }, "/evidence_store/endpoint"],
      [{ forwarding: { mode: "http" } }, "/forwarding/fixops_url"],
      [{ forwarding: { mode: "http", fixops_url: "http://fixops.example" } }, "/forwarding/fixops_url"],
      [{ counting_rules: [{ name: "x", fields: ["a..b"], values: ["BLOCK"] }] }, "/counting_rules/0/fields/0"],
      [{ alert_rules: [{ name: "slow", type: "threshold", field: "latency_ms" }] }, "/alert_rules/0/above"],
      [{ alert_rules: [{ name: "bad", type: "pattern", pattern: "(" }] }, "/alert_rules/0/pattern"],
      [{ quotas: { requests_per_minute: -1 } }, "/quotas/requests_per_minute"],
      [{ jwt: { issuers: [{ issuer: "i", audience: "a" }] } }, "/jwt/issuers/0"],
      [{ jwt: { issuers: [{ issuer: "i", audience: "a", jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }] } }, "/jwt/issuers/0/jwks/keys/0"],
      [{ jwt: { issuers: [{ issuer: "i", audience: "a", jwks_url: "https://idp/jwks", algorithms: ["none"] }] } }, "/jwt/issuers/0/algorithms/0"],
      [{ jwt: { issuers: [{ issuer: "i", audience: "a", jwks_url: "https://idp/jwks", default_scopes: ["root"] }] } }, "/jwt/issuers/0/default_scopes/0"],
    ];
    for (const [config, pointer] of cases) {
      const res = decodeTenantConfig(config);
      expect(res.ok, JSON.stringify(config)).toBe(false);
      if (!res.ok) expect(res.error.map((e) => e.pointer), JSON.stringify(config)).toContain(pointer);
    }
  });
});
