/** DSSE PAE vector, envelope signing and verification. */
import { describe, expect, it } from "vitest";
import { pae, parseEnvelope, signEnvelope, verifyEnvelope } from "../../shared/evidence/dsse.ts";
import { generateSigningKey, importJwks, jwkThumbprint, parseSigningKeys, publicJwk } from "../../shared/evidence/signing-keys.ts";

describe("DSSE", () => {
  it("builds PAE as the DSSE specification's example", () => {
    const got = new TextDecoder().decode(pae("http://example.com/HelloWorld", new TextEncoder().encode("hello world")));
    expect(got).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  });

  it("counts PAE lengths in bytes, not characters", () => {
    const got = new TextDecoder().decode(pae("t", new TextEncoder().encode("é")));
    expect(got).toBe("DSSEv1 1 t 2 é");
  });

  it("signs and verifies; rejects a changed payload, a changed type and an unknown key", async () => {
    const priv = await generateSigningKey();
    const keys = await parseSigningKeys(JSON.stringify({ keys: [priv] }));
    if (!keys.ok) throw new Error(keys.error);
    const jwks = await importJwks({ keys: [publicJwk(priv)] });
    const env = await signEnvelope("application/vnd.in-toto+json", new TextEncoder().encode('{"a":1}'), keys.value.active);
    expect(env.signatures[0]!.keyid).toBe(priv.kid);
    const roundTrip = parseEnvelope(JSON.stringify(env))!;
    expect(await verifyEnvelope(roundTrip, jwks)).toMatchObject({ ok: true, kid: priv.kid });
    expect(await verifyEnvelope({ ...env, payload: btoa('{"a":2}') }, jwks)).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifyEnvelope({ ...env, payloadType: "application/json" }, jwks)).toMatchObject({ ok: false, code: "bad_signature" });
    const other = await importJwks({ keys: [publicJwk(await generateSigningKey())] });
    expect(await verifyEnvelope(env, other)).toMatchObject({ ok: false, code: "unknown_key" });
  });
});

describe("signing keys", () => {
  it("uses the RFC 7638 thumbprint as kid (RFC 8037 appendix A.3 example)", async () => {
    const kid = await jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
    expect(kid).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  });

  it("explains a bad secret without echoing it", async () => {
    for (const secret of [undefined, "nope", '{"keys":[]}', '{"keys":[{"kty":"RSA","d":"SECRETVALUE"}]}']) {
      const res = await parseSigningKeys(secret);
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error).not.toContain("SECRETVALUE");
    }
  });
});
