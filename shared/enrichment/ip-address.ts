/**
 * IP addresses and CIDR ranges as 32-bit words, for range tables and flow records: strict
 * parsing (dotted quads without leading zeros, RFC 4291 text forms), RFC 5952 formatting.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is read as the IPv4 address it carries, so one address
 * has one canonical form and one place in the tables. Pure.
 */

/** An address: IPv4 as one word, IPv6 as four (most significant first), each an unsigned 32-bit number. */
export interface IpAddress {
  v: 4 | 6;
  words: number[];
}

/** An inclusive range of one family; `prefix` when it came from CIDR notation (or one address). */
export interface IpRange {
  v: 4 | 6;
  start: number[];
  end: number[];
  prefix?: number;
}

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_RE = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const HEX_GROUP_RE = /^[0-9A-Fa-f]{1,4}$/;
/** Longest text form: ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255. */
const MAX_IP_TEXT = 45;

function parseV4(s: string): number | null {
  if (!IPV4_RE.test(s)) return null;
  return s.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

function parseV6Groups(s: string): number[] | null {
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const side = (part: string, last: boolean): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (last && i === groups.length - 1 && g.includes(".")) {
        const v4 = parseV4(g);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEX_GROUP_RE.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  if (halves.length === 1) {
    const all = side(halves[0]!, true);
    return all && all.length === 8 ? all : null;
  }
  const head = side(halves[0]!, false);
  const tail = side(halves[1]!, true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Parse an IPv4 or IPv6 address (no zone, no brackets); null when it is not one. */
export function parseIp(s: unknown): IpAddress | null {
  if (typeof s !== "string" || s.length === 0 || s.length > MAX_IP_TEXT) return null;
  if (!s.includes(":")) {
    const v4 = parseV4(s);
    return v4 === null ? null : { v: 4, words: [v4] };
  }
  const g = parseV6Groups(s);
  if (!g) return null;
  // ::ffff:0:0/96 carries an IPv4 address: the same host, so the same canonical address.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return { v: 4, words: [(g[6]! * 0x10000 + g[7]!) >>> 0] };
  }
  const words = [0, 1, 2, 3].map((i) => (g[2 * i]! * 0x10000 + g[2 * i + 1]!) >>> 0);
  return { v: 6, words };
}

/** Canonical text: dotted quad, or RFC 5952 (lowercase, longest zero run of 2+ groups as "::"). */
export function formatIp(a: IpAddress): string {
  if (a.v === 4) {
    const w = a.words[0]!;
    return [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255].join(".");
  }
  const groups = a.words.flatMap((w) => [w >>> 16, w & 0xffff]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

const bits = (v: 4 | 6) => (v === 4 ? 32 : 128);

/** Words of the mask with `prefix` leading one bits (one word for IPv4, four for IPv6). */
function mask(v: 4 | 6, prefix: number): number[] {
  return Array.from({ length: v === 4 ? 1 : 4 }, (_, i) => {
    const ones = Math.max(0, Math.min(32, prefix - 32 * i));
    return ones === 0 ? 0 : (0xffffffff << (32 - ones)) >>> 0;
  });
}

export type CidrProblem = "not_an_address" | "bad_prefix" | "host_bits_set";

/**
 * "a.b.c.d/n", "x::/n" or a single address (a /32 or /128). Host bits must be zero: a
 * "10.0.0.5/24" is refused rather than silently widened. Mapped IPv4 prefixes (::ffff:a.b.c.d/n,
 * n >= 96) become IPv4 prefixes.
 */
export function parseCidr(s: unknown): IpRange | CidrProblem {
  if (typeof s !== "string") return "not_an_address";
  const slash = s.indexOf("/");
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return "not_an_address";
  const mapped = slash >= 0 && addr.v === 4 && s.includes(":");
  let prefix = bits(addr.v);
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return "bad_prefix";
    prefix = Number(p) - (mapped ? 96 : 0);
    if (prefix < 0 || prefix > bits(addr.v)) return "bad_prefix";
  }
  const m = mask(addr.v, prefix);
  const start = addr.words.map((w, i) => (w & m[i]!) >>> 0);
  if (start.some((w, i) => w !== addr.words[i])) return "host_bits_set";
  const end = addr.words.map((w, i) => (w | ~m[i]!) >>> 0);
  return { v: addr.v, start, end, prefix };
}

/** Compare word arrays of one family: negative, zero or positive. */
export function compareWords(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/** The range as text: "a/n" when it is a CIDR block, else "first-last". */
export function formatRange(r: IpRange): string {
  const first = formatIp({ v: r.v, words: r.start });
  return r.prefix !== undefined ? `${first}/${r.prefix}` : `${first}-${formatIp({ v: r.v, words: r.end })}`;
}

export function toBigInt(words: readonly number[]): bigint {
  let n = 0n;
  for (const w of words) n = (n << 32n) | BigInt(w);
  return n;
}

export function fromBigInt(n: bigint, v: 4 | 6): number[] {
  const out: number[] = [];
  for (let i = v === 4 ? 0 : 3; i >= 0; i--) out.push(Number((n >> BigInt(32 * i)) & 0xffffffffn));
  return out;
}
