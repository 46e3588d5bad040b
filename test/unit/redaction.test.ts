/** Redaction profiles: config validation, key rules, value patterns, hashes with and without salt, truncation, the profile digest. */
import { describe, expect, it } from "vitest";
import { luhnValid } from "../../shared/redaction/builtins.ts";
import { effectiveRedactionProfile, redactionProfileDigest } from "../../shared/redaction/digest.ts";
import type { RedactionProfile } from "../../shared/redaction/profile.ts";
import { compileProfile, redactionHash, redactRecord } from "../../shared/redaction/redact.ts";
import { decodeEnrichmentConfig } from "../../shared/enrichment/config.ts";
import { decodeRedactionProfile } from "../../shared/redaction/profile.ts";
import { Issues } from "../../shared/validate.ts";

async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function hmacHex(key: string, text: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return [...new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const run = (p: RedactionProfile, record: Record<string, unknown>, salt: string | null = null) =>
  redactRecord(record, compileProfile(p), salt === null ? null : new TextEncoder().encode(salt));

/** Both config sections, decoded as the tenant config decoder does (at their pointers). */
function decodeSections(doc: { redaction?: unknown; enrichment?: unknown }) {
  const issues = new Issues();
  if (doc.redaction !== undefined) decodeRedactionProfile(doc.redaction, "/redaction", issues);
  if (doc.enrichment !== undefined) decodeEnrichmentConfig(doc.enrichment, "/enrichment", issues);
  return issues.list.length ? { ok: false as const, error: issues.list } : { ok: true as const };
}

describe("redaction profile config", () => {
  it("accepts the documented shape", () => {
    const res = decodeSections({ redaction: {
      drop_keys: ["password", "headers.authorization"], hash_keys: ["user.email", "id.orig_h"], allow_keys: ["ts", "message"],
      patterns: { email: "hash", bearer_token: "drop", aws_access_key: "drop", card_number: "hash" },
      custom_patterns: [{ name: "employee-id", pattern: "EMP-[0-9]{6}", action: "hash" }],
      max_string_length: 1024, hash_salt_ref: "REDACTION_SALT_ACME",
    }, enrichment: { enabled: true, asn: true, threat_intel: true, geo: false, ip_fields: ["flow.src_ip"] } });
    expect(res.ok, JSON.stringify(res)).toBe(true);
  });

  it("refuses bad values with pointers", () => {
    const res = decodeSections({ redaction: {
      drop_keys: ["has space"], patterns: { email: "mask", phone: "drop" },
      custom_patterns: [{ name: "email", pattern: "x" }, { name: "ok", pattern: "(a)\\1" }, { name: "empty", pattern: "a*" }],
      max_string_length: 3, hash_salt_ref: "FIXOPS_API_KEY", extra: true,
    }, enrichment: { enabled: "yes", ip_fields: ["bad path!"] } });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.map((e) => e.pointer).sort()).toEqual([
      "/enrichment/enabled", "/enrichment/ip_fields/0",
      "/redaction/custom_patterns/0/name", "/redaction/custom_patterns/1/pattern", "/redaction/custom_patterns/2/pattern",
      "/redaction/drop_keys/0", "/redaction/extra", "/redaction/hash_salt_ref", "/redaction/max_string_length",
      "/redaction/patterns/email", "/redaction/patterns/phone",
    ]);
  });
});

describe("key rules", () => {
  const record = { user: { email: "alice@example.com", name: "Alice", password: "hunter2" }, Password: "x", "id.orig_h": "10.0.0.1", items: [{ password: "p", keep: 1 }], n: 42 };

  it("drops keys by name at any depth (case-insensitive) and by dot path, and hashes others", async () => {
    const { record: out, counts } = run({ drop_keys: ["password"], hash_keys: ["user.email", "id.orig_h", "n"] }, record);
    expect(out).toEqual({
      user: { email: await sha256Hex("alice@example.com"), name: "Alice" },
      "id.orig_h": await sha256Hex("10.0.0.1"), items: [{ keep: 1 }], n: await sha256Hex("42"),
    });
    expect(counts).toEqual({ key_dropped: 3, key_hashed: 3 });
  });

  it("hashes objects by their canonical JSON; the same input gives the same hash, a salt another", async () => {
    const a = run({ hash_keys: ["user"] }, { user: { b: 1, a: "x" } });
    const b = run({ hash_keys: ["user"] }, { user: { a: "x", b: 1 } });
    expect(a.record.user).toBe(await sha256Hex('{"a":"x","b":1}'));
    expect(b.record.user).toBe(a.record.user);
    const salted = run({ hash_keys: ["user"] }, { user: { a: "x", b: 1 } }, "pepper");
    expect(salted.record.user).toBe(await hmacHex("pepper", '{"a":"x","b":1}'));
    expect(salted.record.user).not.toBe(a.record.user);
    expect(run({ hash_keys: ["user"] }, { user: { a: "x", b: 1 } }, "other").record.user).not.toBe(salted.record.user);
    expect(redactionHash("alice@example.com", null)).toBe("ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976");
  });

  it("keeps only allowed fields with an allow list, and what is under them", () => {
    const { record: out, counts } = run({ allow_keys: ["name", "items.keep", "n"] }, record);
    expect(out).toEqual({ user: { name: "Alice" }, items: [{ keep: 1 }], n: 42 });
    expect(counts).toEqual({ not_allowed: 5 });
    expect(run({ allow_keys: ["user"], drop_keys: ["password"] }, record).record).toEqual({ user: { email: "alice@example.com", name: "Alice" } });
  });

  it("keeps an own __proto__ key as data, never as a prototype", () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"password":"x"}');
    const { record: out } = run({ drop_keys: ["password"] }, input);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

describe("value patterns", () => {
  const all: RedactionProfile = { patterns: { email: "hash", bearer_token: "drop", aws_access_key: "drop", card_number: "hash" } };

  it("replaces e-mails, bearer tokens, AWS access keys and Luhn-valid card numbers anywhere in strings", async () => {
    const { record: out, counts } = run(all, {
      msg: "login alice@example.com from bob.smith+x@mail.example.co.uk",
      headers: { Authorization: "Bearer eyJhbGciOi.J9.abc-_~+/=" },
      env: ["AKIAIOSFODNN7EXAMPLE", "not AKIAIOSFODNN7EXAMPL"],
      card: "paid with 4111 1111 1111 1111, ref 4111 1111 1111 1112", dashes: "5500-0000-0000-0004",
    });
    expect(out.msg).toBe(`login [redacted:email:${await sha256Hex("alice@example.com")}] from [redacted:email:${await sha256Hex("bob.smith+x@mail.example.co.uk")}]`);
    expect(out.headers).toEqual({ Authorization: "Bearer [redacted:bearer_token]" });
    expect(out.env).toEqual(["[redacted:aws_access_key]", "not AKIAIOSFODNN7EXAMPL"]);
    expect(out.card).toBe(`paid with [redacted:card_number:${await sha256Hex("4111 1111 1111 1111")}], ref 4111 1111 1111 1112`);
    expect(out.dashes).toBe(`[redacted:card_number:${await sha256Hex("5500-0000-0000-0004")}]`);
    expect(counts).toEqual({ email: 2, bearer_token: 1, aws_access_key: 1, card_number: 2 });
  });

  it("leaves look-alikes alone: no TLD, digit runs too long or too short, Luhn failures", () => {
    const input = { a: "user@localhost", b: "12345678901234567890123", c: "4111 1111 1111", d: "4111111111111112", e: "@example.com", f: "a@b.c1" };
    expect(run(all, input)).toEqual({ record: input, counts: null });
    expect(luhnValid("79927398713")).toBe(true);
    expect(luhnValid("79927398710")).toBe(false);
  });

  it("runs custom RE2 patterns, and stays linear on hostile input", () => {
    const p: RedactionProfile = { ...all, custom_patterns: [{ name: "employee-id", pattern: "EMP-[0-9]{6}", action: "drop" }] };
    expect(run(p, { m: "by EMP-123456 and EMP-12" }).record).toEqual({ m: "by [redacted:employee-id] and EMP-12" });
    const hostile = { m: "a".repeat(200_000) + "@", n: "1 ".repeat(100_000), o: "bearer ".repeat(30_000) };
    const t0 = performance.now();
    run(p, hostile);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("truncates long strings after the patterns ran, without splitting a surrogate pair", () => {
    const p: RedactionProfile = { max_string_length: 16, patterns: { card_number: "drop" } };
    const { record: out, counts } = run(p, { s: "x".repeat(10) + "4111 1111 1111 1111", e: "123456789012345😀z", short: "ok" });
    expect(out.s).toBe("xxxxxxxxxx[redac");
    expect(out.e).toBe("123456789012345");
    expect(out.short).toBe("ok");
    expect(counts).toEqual({ card_number: 1, truncated: 2 });
  });
});

describe("redactionProfileDigest", () => {
  const profile: RedactionProfile = { drop_keys: ["Password", "token"], hash_keys: ["user.email"], patterns: { email: "hash" }, hash_salt_ref: "REDACTION_SALT_A" };

  it("is null without a profile and stable across equivalent profiles", () => {
    expect(redactionProfileDigest({})).toBeNull();
    expect(redactionProfileDigest(undefined)).toBeNull();
    const d = redactionProfileDigest({ redaction: profile })!;
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(redactionProfileDigest({ redaction: { ...profile, drop_keys: ["token", "password", "TOKEN"] } })).toBe(d);
  });

  it("names the salt's secret, never the salt, and changes with what redaction does", async () => {
    const d = redactionProfileDigest({ redaction: profile })!;
    expect(effectiveRedactionProfile(profile).hash).toEqual({ alg: "hmac-sha256", salt_ref: "REDACTION_SALT_A" });
    expect(redactionProfileDigest({ redaction: { ...profile, hash_salt_ref: "REDACTION_SALT_B" } })).not.toBe(d);
    expect(redactionProfileDigest({ redaction: { ...profile, patterns: { email: "drop" } } })).not.toBe(d);
    expect(redactionProfileDigest({ redaction: { ...profile, max_string_length: 100 } })).not.toBe(d);
    // The documented vector: the empty profile.
    expect(redactionProfileDigest({ redaction: {} })).toBe(await sha256Hex(
      '{"allow_keys":null,"custom_patterns":[],"drop_keys":[],"hash":{"alg":"sha256"},"hash_keys":[],"max_string_length":null,"patterns":{},"version":1}',
    ));
  });
});
