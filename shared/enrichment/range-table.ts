/**
 * Compact IP range tables for enrichment (ASN and threat-intel lists). Uploaded ranges may
 * overlap; they are flattened once, at upload, into sorted disjoint segments where each
 * address maps to its most specific range (smallest; ties by the caller's rank), so a lookup
 * is one binary search over typed arrays and never a scan. Stored and sent as one binary blob:
 * a header, the IPv4 and IPv6 segment arrays, and the JSON of the values segments point at.
 * Pure: runs in workerd, Node and the browser.
 */
import { compareWords, fromBigInt, toBigInt, type IpAddress, type IpRange } from "./ip-address.ts";

export interface RangeInput {
  range: IpRange;
  /** Index into the table's values. */
  value: number;
  /** Among ranges of equal size, the lower rank wins. */
  rank: number;
}

export interface RangeTable {
  v4: { starts: Uint32Array; ends: Uint32Array; values: Uint32Array };
  /** Four words per segment, most significant first. */
  v6: { starts: Uint32Array; ends: Uint32Array; values: Uint32Array };
  values: unknown[];
}

const MAGIC = 0x31525442; // "BTR1" little-endian
const HEADER_BYTES = 16;

/** Flatten possibly overlapping ranges into disjoint segments, most specific range winning. */
export function buildRangeTable(inputs: readonly RangeInput[], values: unknown[]): RangeTable {
  const fam = (v: 4 | 6) => segments(inputs.filter((i) => i.range.v === v), v);
  const s4 = fam(4);
  const s6 = fam(6);
  return {
    v4: { starts: Uint32Array.from(s4.flatMap((s) => fromBigInt(s.start, 4))), ends: Uint32Array.from(s4.flatMap((s) => fromBigInt(s.end, 4))), values: Uint32Array.from(s4.map((s) => s.value)) },
    v6: { starts: Uint32Array.from(s6.flatMap((s) => fromBigInt(s.start, 6))), ends: Uint32Array.from(s6.flatMap((s) => fromBigInt(s.end, 6))), values: Uint32Array.from(s6.map((s) => s.value)) },
    values,
  };
}

interface Live { start: bigint; end: bigint; size: bigint; value: number; rank: number }

/** Sweep over every range boundary with a heap of the ranges covering it (smallest on top). */
function segments(inputs: readonly RangeInput[], v: 4 | 6): { start: bigint; end: bigint; value: number }[] {
  const ranges: Live[] = inputs.map((i) => {
    const start = toBigInt(i.range.start);
    const end = toBigInt(i.range.end);
    return { start, end, size: end - start, value: i.value, rank: i.rank };
  }).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const max = v === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  const points = [...new Set(ranges.flatMap((r) => (r.end < max ? [r.start, r.end + 1n] : [r.start])))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const heap = new MinHeap<Live>((a, b) => (a.size !== b.size ? a.size < b.size : a.rank < b.rank));
  const out: { start: bigint; end: bigint; value: number }[] = [];
  let next = 0;
  for (let k = 0; k < points.length; k++) {
    const p = points[k]!;
    while (next < ranges.length && ranges[next]!.start <= p) heap.push(ranges[next++]!);
    while (heap.size && heap.peek()!.end < p) heap.pop();
    const top = heap.peek();
    if (!top) continue;
    const end = k + 1 < points.length ? points[k + 1]! - 1n : max;
    const last = out.at(-1);
    if (last && last.value === top.value && last.end + 1n === p) last.end = end;
    else out.push({ start: p, end, value: top.value });
  }
  return out;
}

class MinHeap<T> {
  #a: T[] = [];
  readonly #less: (a: T, b: T) => boolean;
  constructor(less: (a: T, b: T) => boolean) { this.#less = less; }
  get size(): number { return this.#a.length; }
  peek(): T | undefined { return this.#a[0]; }
  push(x: T): void {
    const a = this.#a;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.#less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Segments in a table (both families). */
export function segmentCount(t: RangeTable): number {
  return t.v4.values.length + t.v6.values.length;
}

/** The value index of the segment holding `ip`, or -1. Binary search: O(log n). */
export function lookupRange(t: RangeTable, ip: IpAddress): number {
  if (ip.v === 4) {
    const { starts, ends, values } = t.v4;
    const x = ip.words[0]!;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= x) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 && ends[found]! >= x ? values[found]! : -1;
  }
  const { starts, ends, values } = t.v6;
  const at = (arr: Uint32Array, i: number) => [arr[4 * i]!, arr[4 * i + 1]!, arr[4 * i + 2]!, arr[4 * i + 3]!];
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (compareWords(at(starts, mid), ip.words) <= 0) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found >= 0 && compareWords(at(ends, found), ip.words) >= 0 ? values[found]! : -1;
}

/** The table as bytes: header, IPv4 then IPv6 segment arrays (little-endian words), values JSON. */
export function encodeRangeTable(t: RangeTable): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(t.values));
  const n4 = t.v4.values.length;
  const n6 = t.v6.values.length;
  const words = 3 * n4 + 9 * n6;
  const out = new Uint8Array(HEADER_BYTES + 4 * words + json.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, n4, true);
  view.setUint32(8, n6, true);
  view.setUint32(12, json.length, true);
  let off = HEADER_BYTES;
  for (const arr of [t.v4.starts, t.v4.ends, t.v4.values, t.v6.starts, t.v6.ends, t.v6.values]) {
    for (const w of arr) { view.setUint32(off, w, true); off += 4; }
  }
  out.set(json, off);
  return out;
}

/** Read what encodeRangeTable wrote; null when the bytes are not such a table. */
export function decodeRangeTable(bytes: Uint8Array): RangeTable | null {
  if (bytes.length < HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return null;
  const n4 = view.getUint32(4, true);
  const n6 = view.getUint32(8, true);
  const jsonBytes = view.getUint32(12, true);
  if (bytes.length !== HEADER_BYTES + 4 * (3 * n4 + 9 * n6) + jsonBytes) return null;
  let off = HEADER_BYTES;
  const take = (n: number) => {
    const arr = new Uint32Array(n);
    for (let i = 0; i < n; i++, off += 4) arr[i] = view.getUint32(off, true);
    return arr;
  };
  const v4 = { starts: take(n4), ends: take(n4), values: take(n4) };
  const v6 = { starts: take(4 * n6), ends: take(4 * n6), values: take(n6) };
  let values: unknown;
  try {
    values = JSON.parse(new TextDecoder().decode(bytes.subarray(off)));
  } catch {
    return null;
  }
  if (!Array.isArray(values)) return null;
  return { v4, v6, values };
}
