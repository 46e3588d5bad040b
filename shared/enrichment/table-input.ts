/**
 * Decoders for uploaded range tables: an indicator list (PUT /v1/indicators) and the ASN table
 * (PUT /v1/asn-ranges, JSON or iptoasn.com's TSV). Each validates every entry with a JSON pointer
 * and builds the compact table (range-table.ts). Pure.
 */
import { MAX_ASN_RANGES, MAX_INDICATOR_LABELS, MAX_INDICATORS_PER_LIST } from "../limits.ts";
import type { FieldIssue } from "../problem.ts";
import { err, ok, type Result } from "../result.ts";
import { array, integer, Issues, object, onlyKeys, string } from "../validate.ts";
import { compareWords, formatRange, parseCidr, parseIp, type CidrProblem, type IpRange } from "./ip-address.ts";
import { buildRangeTable, type RangeInput, type RangeTable } from "./range-table.ts";

/** What a matched indicator says (stored as a table value). */
export interface IndicatorValue {
  range: string;
  labels: string[];
  score: number;
}

/** What an ASN range says (stored as a table value; equal ones are shared). */
export interface AsnValue {
  asn: number;
  name?: string;
  country?: string;
}

export interface DecodedTable {
  table: RangeTable;
  /** Entries uploaded. */
  entries: number;
}

/** List names: also the key of the list in stored records' `_enrichment`. */
export const LIST_NAME = { max: 64, re: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, what: "a name of 1-64 [A-Za-z0-9._-]" };
const LABEL = { max: 64, re: /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, what: "a label of 1-64 [A-Za-z0-9._:/-]" };
/** Issues reported per upload; the first ones are enough to fix a file. */
const MAX_ISSUES = 100;
export const DEFAULT_INDICATOR_SCORE = 50;
const MAX_ASN = 4_294_967_295;

const CIDR_PROBLEMS: Record<CidrProblem, string> = {
  not_an_address: "must be an IPv4 or IPv6 address or CIDR block",
  bad_prefix: "the prefix length is out of range",
  host_bits_set: "has bits set after the prefix (give the network address)",
};

/** One range from `cidr` or `ip` (a CIDR block or an address), or from `start` and `end` (inclusive). */
function rangeOf(o: Record<string, unknown>, at: string, issues: Issues, allowStartEnd: boolean): IpRange | undefined {
  const given = ["cidr", "ip", ...(allowStartEnd ? ["start"] : [])].filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    return issues.add(at, allowStartEnd ? "give exactly one of cidr, ip, or start and end" : "give exactly one of cidr and ip");
  }
  if (given[0] === "start") {
    const start = parseIp(o.start);
    const end = parseIp(o.end);
    if (!start) return issues.add(`${at}/start`, "must be an IPv4 or IPv6 address");
    if (!end) return issues.add(`${at}/end`, "must be an IPv4 or IPv6 address");
    if (start.v !== end.v) return issues.add(`${at}/end`, "must be of the same family as start");
    if (compareWords(start.words, end.words) > 0) return issues.add(`${at}/end`, "must not be below start");
    return { v: start.v, start: start.words, end: end.words };
  }
  const key = given[0]!;
  const r = parseCidr(o[key]);
  if (typeof r === "string") return issues.add(`${at}/${key}`, CIDR_PROBLEMS[r]);
  return r;
}

function entries(v: unknown, at: string, max: number, issues: Issues): unknown[] {
  const list = array(v, at, max, issues);
  return list ?? [];
}

const full = (issues: Issues) => issues.list.length >= MAX_ISSUES;

/** `{"list": name, "indicators": [{"cidr"|"ip", "labels"?, "score"?}]}`. Among overlapping ranges the smallest wins, then the higher score. */
export function decodeIndicatorList(u: unknown): Result<DecodedTable & { list: string }, FieldIssue[]> {
  const issues = new Issues();
  const o = object(u, "", issues);
  if (!o) return err(issues.list);
  onlyKeys(o, ["list", "indicators"], "", issues);
  const list = string(o.list, "/list", issues, LIST_NAME);
  const inputs: RangeInput[] = [];
  const values: IndicatorValue[] = [];
  entries(o.indicators, "/indicators", MAX_INDICATORS_PER_LIST, issues).forEach((x, i) => {
    if (full(issues)) return;
    const at = `/indicators/${i}`;
    const e = object(x, at, issues);
    if (!e) return;
    onlyKeys(e, ["cidr", "ip", "labels", "score"], at, issues);
    const range = rangeOf(e, at, issues, false);
    const labels = e.labels === undefined ? [] : (array(e.labels, `${at}/labels`, MAX_INDICATOR_LABELS, issues) ?? [])
      .map((l, j) => string(l, `${at}/labels/${j}`, issues, LABEL)).filter((l): l is string => l !== undefined);
    const score = e.score === undefined ? DEFAULT_INDICATOR_SCORE : integer(e.score, `${at}/score`, 0, 100, issues);
    if (!range || score === undefined) return;
    inputs.push({ range, value: values.length, rank: (100 - score) * MAX_INDICATORS_PER_LIST + i });
    values.push({ range: formatRange(range), labels: [...new Set(labels)], score });
  });
  if (issues.list.length || !list) return err(issues.list);
  return ok({ list, table: buildRangeTable(inputs, values), entries: inputs.length });
}

/** `{"ranges": [{"cidr"|"ip"|"start"+"end", "asn", "name"?, "country"?}]}`. Among overlapping ranges the smallest wins, then the earlier. */
export function decodeAsnRanges(u: unknown, pointerOf: (i: number) => string = (i) => `/ranges/${i}`): Result<DecodedTable, FieldIssue[]> {
  const issues = new Issues();
  const o = object(u, "", issues);
  if (!o) return err(issues.list);
  onlyKeys(o, ["ranges"], "", issues);
  const inputs: RangeInput[] = [];
  const values: AsnValue[] = [];
  const shared = new Map<string, number>();
  entries(o.ranges, "/ranges", MAX_ASN_RANGES, issues).forEach((x, i) => {
    if (full(issues)) return;
    const at = pointerOf(i);
    const e = object(x, at, issues);
    if (!e) return;
    onlyKeys(e, ["cidr", "ip", "start", "end", "asn", "name", "country"], at, issues);
    const range = rangeOf(e, at, issues, true);
    const asn = integer(e.asn, `${at}/asn`, 0, MAX_ASN, issues);
    const value: AsnValue = { asn: asn ?? 0 };
    if (e.name !== undefined) value.name = string(e.name, `${at}/name`, issues, { max: 128 });
    if (e.country !== undefined) value.country = string(e.country, `${at}/country`, issues, { max: 2, re: /^[A-Z]{2}$/, what: "an ISO 3166-1 alpha-2 code such as NL" });
    if (!range || asn === undefined) return;
    const key = JSON.stringify([value.asn, value.name ?? null, value.country ?? null]);
    let index = shared.get(key);
    if (index === undefined) {
      shared.set(key, (index = values.length));
      values.push(value);
    }
    inputs.push({ range, value: index, rank: i });
  });
  if (issues.list.length) return err(issues.list);
  return ok({ table: buildRangeTable(inputs, values), entries: inputs.length });
}

/**
 * iptoasn.com's ip2asn TSV: `first<TAB>last<TAB>asn<TAB>country<TAB>description` per line.
 * AS 0 ("Not routed") lines are skipped; country "None" or "ZZ" means none. Pointers are line indexes.
 */
export function decodeAsnTsv(text: string): Result<DecodedTable, FieldIssue[]> {
  const ranges: Record<string, unknown>[] = [];
  const lines: number[] = [];
  const issues: FieldIssue[] = [];
  text.split("\n").forEach((raw, n) => {
    const line = raw.replace(/\r$/, "");
    if (!line.trim() || line.startsWith("#") || issues.length >= MAX_ISSUES) return;
    const f = line.split("\t");
    if (f.length < 3 || !/^\d{1,10}$/.test(f[2]!)) return void issues.push({ pointer: `/${n}`, detail: "expected first, last, asn, country, description separated by tabs" });
    if (f[2] === "0") return;
    const r: Record<string, unknown> = { start: f[0], end: f[1], asn: Number(f[2]) };
    if (f[3] && /^[A-Z]{2}$/.test(f[3]) && f[3] !== "ZZ") r.country = f[3];
    const name = f.slice(4).join("\t").trim().slice(0, 128);
    if (name && name !== "Not routed") r.name = name;
    ranges.push(r);
    lines.push(n);
  });
  if (ranges.length > MAX_ASN_RANGES) issues.push({ pointer: "", detail: `more than ${MAX_ASN_RANGES} ranges` });
  if (issues.length) return err(issues);
  return decodeAsnRanges({ ranges }, (i) => `/${lines[i]}`);
}
