/** The CLI as a user runs it: help, keygen, usage errors, exit codes. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function cli(...args: string[]) {
  const res = spawnSync(process.execPath, ["bin/telemetry-bridge.ts", ...args], { encoding: "utf8" });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

describe("telemetry-bridge CLI", () => {
  it("has --help for itself and every command", () => {
    expect(cli("--help")).toMatchObject({ code: 0, out: expect.stringContaining("verify") });
    for (const c of ["send", "verify", "keygen", "fetch-bundle", "overlay", "tail"]) {
      const r = cli(c, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: telemetry-bridge ${c}`);
    }
  });

  it("keygen prints a private JWK set and its public key with a thumbprint kid", () => {
    const r = cli("keygen", "--json");
    expect(r.code).toBe(0);
    const { private_jwks, public_jwk } = JSON.parse(r.out);
    expect(private_jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", d: expect.any(String), kid: public_jwk.kid });
    expect(public_jwk.d).toBeUndefined();
    expect(public_jwk.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("exits 2 with a message on usage errors and unreadable files", () => {
    expect(cli("nope").code).toBe(2);
    expect(cli("verify").code).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), "tb-cli-"));
    const r = cli("verify", dir, "--jwks", join(dir, "missing.json"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read/);
  });

  it("exits 3 for a statement that is not a DSSE envelope", () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-cli-"));
    writeFileSync(join(dir, "records.jsonl.gz"), new Uint8Array([0x1f, 0x8b]));
    writeFileSync(join(dir, "statement.dsse.json"), "{}");
    writeFileSync(join(dir, "jwks.json"), JSON.stringify({ keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }] }));
    const r = cli("verify", dir, "--jwks", join(dir, "jwks.json"));
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/malformed/);
  });
});
