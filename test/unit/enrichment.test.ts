/** Enrichment: address parsing, CIDR math at range edges, range tables, the risk score, table uploads. */
import { describe, expect, it } from "vitest";
import { enrichRecord, senderOf, type EnrichmentTables } from "../../shared/enrichment/enrich.ts";
import { formatIp, parseCidr, parseIp, type IpRange } from "../../shared/enrichment/ip-address.ts";
import { buildRangeTable, decodeRangeTable, encodeRangeTable, lookupRange, segmentCount, type RangeTable } from "../../shared/enrichment/range-table.ts";
import { riskScore } from "../../shared/enrichment/risk-score.ts";
import { decodeAsnRanges, decodeAsnTsv, decodeIndicatorList } from "../../shared/enrichment/table-input.ts";

const ip = (s: string) => parseIp(s)!;
const cidr = (s: string) => parseCidr(s) as IpRange;

/** A table of CIDRs whose values are their own text. */
function table(cidrs: string[]): RangeTable {
  return buildRangeTable(cidrs.map((c, i) => ({ range: cidr(c), value: i, rank: i })), cidrs);
}
const match = (t: RangeTable, a: string) => (t.values[lookupRange(t, ip(a))] as string | undefined) ?? null;

describe("IP addresses", () => {
  it("parses and formats IPv4 and IPv6 canonically (RFC 5952)", () => {
    expect(formatIp(ip("192.0.2.1"))).toBe("192.0.2.1");
    expect(formatIp(ip("2001:DB8:0:0:0:0:0:1"))).toBe("2001:db8::1");
    expect(formatIp(ip("2001:db8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1");
    expect(formatIp(ip("2001:db8:0:1:1:1:1:1"))).toBe("2001:db8:0:1:1:1:1:1");
    expect(formatIp(ip("::"))).toBe("::");
    expect(formatIp(ip("::1"))).toBe("::1");
    expect(formatIp(ip("fe80::"))).toBe("fe80::");
    expect(formatIp(ip("64:ff9b::192.0.2.33"))).toBe("64:ff9b::c000:221");
  });

  it("reads IPv4-mapped IPv6 as the IPv4 address", () => {
    expect(parseIp("::ffff:192.0.2.1")).toEqual({ v: 4, words: [0xc0000201] });
    expect(parseIp("::ffff:c000:201")).toEqual({ v: 4, words: [0xc0000201] });
  });

  it("refuses what is not an address", () => {
    for (const bad of ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::g", "fe80::1%eth0", "[::1]", 12, null, "x".repeat(60)]) {
      expect(parseIp(bad), String(bad)).toBeNull();
    }
  });

  it("parses CIDR blocks and refuses host bits and bad prefixes", () => {
    expect(parseCidr("10.0.0.0/8")).toMatchObject({ v: 4, start: [0x0a000000], end: [0x0affffff], prefix: 8 });
    expect(parseCidr("192.0.2.7")).toMatchObject({ start: [0xc0000207], end: [0xc0000207], prefix: 32 });
    expect(parseCidr("0.0.0.0/0")).toMatchObject({ start: [0], end: [0xffffffff] });
    expect(parseCidr("2001:db8::/32")).toMatchObject({ v: 6, start: [0x20010db8, 0, 0, 0], end: [0x20010db8, 0xffffffff, 0xffffffff, 0xffffffff] });
    expect(parseCidr("::ffff:10.0.0.0/104")).toMatchObject({ v: 4, start: [0x0a000000], prefix: 8 });
    expect(parseCidr("10.0.0.5/24")).toBe("host_bits_set");
    expect(parseCidr("10.0.0.0/33")).toBe("bad_prefix");
    expect(parseCidr("2001:db8::/129")).toBe("bad_prefix");
    expect(parseCidr("10.0.0.0/")).toBe("bad_prefix");
    expect(parseCidr("nope/8")).toBe("not_an_address");
  });
});

describe("range tables", () => {
  it("matches the first and last address of a range and not the ones just outside", () => {
    const t = table(["198.51.100.0/24"]);
    expect(match(t, "198.51.100.0")).toBe("198.51.100.0/24");
    expect(match(t, "198.51.100.255")).toBe("198.51.100.0/24");
    expect(match(t, "198.51.99.255")).toBeNull();
    expect(match(t, "198.51.101.0")).toBeNull();
  });

  it("matches a /32 and an IPv6 /128 exactly", () => {
    const t = table(["203.0.113.7/32", "2001:db8::7/128"]);
    expect(match(t, "203.0.113.7")).toBe("203.0.113.7/32");
    expect(match(t, "203.0.113.6")).toBeNull();
    expect(match(t, "203.0.113.8")).toBeNull();
    expect(match(t, "2001:db8::7")).toBe("2001:db8::7/128");
    expect(match(t, "2001:db8::6")).toBeNull();
    expect(match(t, "2001:db8::8")).toBeNull();
  });

  it("matches IPv6 ranges at their edges, across word boundaries", () => {
    const t = table(["2001:db8:0:1::/64"]);
    expect(match(t, "2001:db8:0:1::")).toBe("2001:db8:0:1::/64");
    expect(match(t, "2001:db8:0:1:ffff:ffff:ffff:ffff")).toBe("2001:db8:0:1::/64");
    expect(match(t, "2001:db8:0:0:ffff:ffff:ffff:ffff")).toBeNull();
    expect(match(t, "2001:db8:0:2::")).toBeNull();
  });

  it("gives overlapping ranges to the most specific, and the outer range around it", () => {
    const t = table(["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3"]);
    expect(match(t, "10.1.2.3")).toBe("10.1.2.3");
    expect(match(t, "10.1.2.2")).toBe("10.1.2.0/24");
    expect(match(t, "10.1.2.4")).toBe("10.1.2.0/24");
    expect(match(t, "10.1.1.255")).toBe("10.1.0.0/16");
    expect(match(t, "10.1.3.0")).toBe("10.1.0.0/16");
    expect(match(t, "10.0.255.255")).toBe("10.0.0.0/8");
    expect(match(t, "10.255.255.255")).toBe("10.0.0.0/8");
    expect(match(t, "11.0.0.0")).toBeNull();
    expect(match(t, "9.255.255.255")).toBeNull();
  });

  it("handles ranges at the ends of the address space and partial overlaps", () => {
    const t = buildRangeTable([
      { range: { v: 4, start: [0], end: [0x0000ffff] }, value: 0, rank: 0 },
      { range: { v: 4, start: [0x00008000], end: [0x0001ffff] }, value: 1, rank: 1 },
      { range: cidr("255.255.255.255"), value: 2, rank: 2 },
      { range: cidr("::/0"), value: 3, rank: 3 },
    ], ["a", "b", "c", "all6"]);
    expect(match(t, "0.0.0.0")).toBe("a");
    expect(match(t, "0.0.127.255")).toBe("a");
    expect(match(t, "0.0.128.0")).toBe("a"); // inside both: the smaller range wins
    expect(match(t, "0.1.0.0")).toBe("b");
    expect(match(t, "0.2.0.0")).toBeNull();
    expect(match(t, "255.255.255.255")).toBe("c");
    expect(match(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toBe("all6");
    expect(match(t, "::")).toBe("all6");
  });

  it("survives encoding, and refuses bytes that are not a table", () => {
    const t = table(["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32"]);
    const back = decodeRangeTable(encodeRangeTable(t))!;
    expect(back).not.toBeNull();
    expect(segmentCount(back)).toBe(segmentCount(t));
    expect(match(back, "10.1.0.1")).toBe("10.1.0.0/16");
    expect(match(back, "2001:db8::1")).toBe("2001:db8::/32");
    expect(decodeRangeTable(new Uint8Array(8))).toBeNull();
    expect(decodeRangeTable(encodeRangeTable(t).slice(0, 30))).toBeNull();
  });
});

describe("risk score", () => {
  // The documented vectors (docs/enrichment-and-redaction.md).
  it.each([
    [[], 0], [[0], 0], [[90], 90], [[100], 100], [[80, 50], 90], [[50, 80], 90], [[50, 50], 75],
    [[30, 30, 30], 65], [[100, 40], 100], [[10, 10, 10, 10, 10], 40], [[99, 99], 99], [[1], 1],
  ])("%j -> %i", (scores, expected) => {
    expect(riskScore(scores)).toBe(expected);
  });
});

describe("table uploads", () => {
  it("builds an indicator list, the smallest range winning, then the higher score", () => {
    const res = decodeIndicatorList({
      list: "c2", indicators: [
        { cidr: "203.0.113.0/24", labels: ["scanner"], score: 40 },
        { ip: "203.0.113.7", labels: ["c2", "c2"], score: 90 },
        { cidr: "2001:db8::/48" },
        { cidr: "198.51.100.0/24", score: 10 }, { cidr: "198.51.100.0/24", score: 70 },
      ],
    });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const t = res.value.table;
    expect(t.values[lookupRange(t, ip("203.0.113.7"))]).toEqual({ range: "203.0.113.7/32", labels: ["c2"], score: 90 });
    expect(t.values[lookupRange(t, ip("203.0.113.8"))]).toMatchObject({ range: "203.0.113.0/24", score: 40 });
    expect(t.values[lookupRange(t, ip("2001:db8:0:ffff::1"))]).toEqual({ range: "2001:db8::/48", labels: [], score: 50 });
    expect(t.values[lookupRange(t, ip("198.51.100.1"))]).toMatchObject({ score: 70 });
  });

  it("refuses bad entries with pointers", () => {
    const res = decodeIndicatorList({ list: "bad list", indicators: [{ cidr: "10.0.0.1/24" }, { ip: "x" }, { cidr: "10.0.0.0/8", ip: "10.0.0.1" }, { cidr: "1.2.3.4", score: 101 }, { cidr: "1.2.3.4", labels: ["ok", ""], extra: 1 }] });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.map((e) => e.pointer)).toEqual(expect.arrayContaining([
      "/list", "/indicators/0/cidr", "/indicators/1/ip", "/indicators/2", "/indicators/3/score", "/indicators/4/labels/1", "/indicators/4/extra",
    ]));
  });

  it("builds an ASN table from JSON ranges and from iptoasn TSV", () => {
    const json = decodeAsnRanges({ ranges: [{ cidr: "203.0.113.0/24", asn: 64500, name: "EXAMPLE-NET", country: "NL" }, { start: "198.51.100.0", end: "198.51.100.127", asn: 64501 }] });
    expect(json.ok).toBe(true);
    if (!json.ok) return;
    expect(json.value.table.values[lookupRange(json.value.table, ip("198.51.100.127"))]).toEqual({ asn: 64501 });
    expect(lookupRange(json.value.table, ip("198.51.100.128"))).toBe(-1);
    const tsv = decodeAsnTsv("1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n2001:db8::\t2001:db8::ffff\t64502\tDE\tEXAMPLE-6\n");
    expect(tsv.ok).toBe(true);
    if (!tsv.ok) return;
    expect(tsv.value.entries).toBe(2);
    expect(tsv.value.table.values[lookupRange(tsv.value.table, ip("1.0.0.255"))]).toEqual({ asn: 13335, name: "CLOUDFLARENET", country: "US" });
    expect(lookupRange(tsv.value.table, ip("1.0.1.0"))).toBe(-1);
    const bad = decodeAsnTsv("1.0.0.0\t1.0.0.255\tAS13335\n1.0.0.9\t1.0.0.1\t1\tUS\tx\n");
    expect(bad.ok ? [] : bad.error.map((e) => e.pointer)).toEqual(["/0"]);
    const backwards = decodeAsnTsv("1.0.0.9\t1.0.0.1\t1\tUS\tx\n");
    expect(backwards.ok ? [] : backwards.error.map((e) => e.pointer)).toEqual(["/0/end"]);
  });
});

describe("enrichRecord", () => {
  const asn = decodeAsnRanges({ ranges: [{ cidr: "203.0.113.0/24", asn: 64500, name: "EXAMPLE-NET", country: "NL" }] });
  const c2 = decodeIndicatorList({ list: "c2", indicators: [{ ip: "203.0.113.7", labels: ["c2"], score: 80 }] });
  const scan = decodeIndicatorList({ list: "scanners", indicators: [{ cidr: "203.0.113.0/24", labels: ["scan"], score: 50 }] });
  if (!asn.ok || !c2.ok || !scan.ok) throw new Error("fixture tables");
  const tables: EnrichmentTables = { version: 7, asn: asn.value.table, lists: [{ name: "c2", table: c2.value.table }, { name: "scanners", table: scan.value.table }] };
  const cfg = { enabled: true, asn: true, threat_intel: true, geo: true };

  it("adds ASN, indicator matches, the risk score, the tables' version and the sender", () => {
    const out = enrichRecord({ flow: { src_ip: "203.0.113.7", dst_ip: "10.0.0.1" } }, cfg, tables, { country: "DE", asn: 3320 });
    expect(out).toEqual({
      ips: { "flow.src_ip": { ip: "203.0.113.7", asn: 64500, as_name: "EXAMPLE-NET", as_country: "NL", threats: [
        { list: "c2", range: "203.0.113.7/32", labels: ["c2"], score: 80 }, { list: "scanners", range: "203.0.113.0/24", labels: ["scan"], score: 50 },
      ] } },
      risk: 90, tables_version: 7, sender: { country: "DE", asn: 3320 },
    });
  });

  it("counts one indicator once when several fields match it, and says 0 when nothing matched", () => {
    const both = enrichRecord({ src_ip: "203.0.113.9", dst_ip: "203.0.113.10" }, { ...cfg, geo: false }, tables, null);
    expect(both?.risk).toBe(50);
    expect(enrichRecord({ src_ip: "192.0.2.1" }, { ...cfg, geo: false }, tables, null)).toEqual({ risk: 0, tables_version: 7 });
    expect(enrichRecord({ src_ip: "192.0.2.1" }, { enabled: false, asn: true, threat_intel: true, geo: true }, tables, null)).toBeUndefined();
    expect(enrichRecord({ a: { b: "203.0.113.7" } }, { ...cfg, geo: false, threat_intel: false, ip_fields: ["a.b"] }, tables, null)).toEqual({ ips: { "a.b": { ip: "203.0.113.7", asn: 64500, as_name: "EXAMPLE-NET", as_country: "NL" } }, tables_version: 7 });
  });

  it("reads the sender from request.cf, keeping well-formed fields only", () => {
    expect(senderOf({ country: "NL", asn: 1136, asOrganization: "KPN", colo: "AMS" })).toEqual({ country: "NL", asn: 1136, as_org: "KPN" });
    expect(senderOf({ country: "nl", asn: -1 })).toBeNull();
    expect(senderOf(undefined)).toBeNull();
  });
});
