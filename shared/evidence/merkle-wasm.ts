/**
 * Many Merkle leaves per call: appends the lines of a text to a CompactRange through
 * merkle-sha256.wasm (wasm/merkle-sha256.c), which splits the text on "\n", hashes each line
 * as an RFC 6962 leaf and folds it into the frontier, all in one call. Per-line node:crypto
 * calls cost ~6 µs each in workerd (two per line: leaf and node), whatever the line's length;
 * here the JS side crosses over once per chunk (docs/performance.md has the figures).
 *
 * Pure: the caller passes the compiled module (workerd imports the .wasm; Node compiles the
 * file's bytes), so this runs in the DO, the CLI and tests alike.
 */
import { CompactRange, HASH_BYTES } from "./merkle.ts";

interface Exports {
  memory: WebAssembly.Memory;
  range(): number;
  reset(size: number): void;
  size(): number;
  depth(): number;
  input(): number;
  append_lines(len: number, max: number): number;
  consumed(): number;
}

/** What `appendLines` reports for each chunk it cut, in order. */
export interface AppendedChunk {
  /** The chunk's lines, each followed by "\n". */
  text: string;
  /** Index in `lines` of its first line, and one past its last. */
  from: number;
  to: number;
  /** UTF-8 bytes of `text`. */
  bytes: number;
  /** The frontier before its first line, as CompactRange.encode() gives it. */
  frontierBefore: Uint8Array;
}

const WASM_PAGE_BYTES = 65_536;
const UTF8_SLICE_BYTES = 16 << 20;
const encoder = new TextEncoder();

export class MerkleAppender {
  readonly #x: Exports;

  constructor(module: WebAssembly.Module) {
    this.#x = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
  }

  /**
   * Append `lines` (none containing "\n") to `range` as leaves, in place, cut into chunks of at
   * most `maxBytes` UTF-8 bytes with newlines (a longer line makes a chunk alone); `onChunk`
   * sees each chunk. UTF-8 is TextEncoder's (a lone surrogate becomes U+FFFD).
   */
  appendLines(range: CompactRange, lines: readonly string[], maxBytes: number, onChunk: (chunk: AppendedChunk) => void): void {
    if (lines.length === 0) return;
    const x = this.#x;
    const text = lines.join("\n") + "\n";
    this.#load(range);
    const end = range.size + lines.length;
    let window = Math.min(text.length * 3, 2 * Math.min(maxBytes, 1 << 30));
    let charAt = 0;
    let lineAt = 0;
    while (lineAt < lines.length) {
      const src = charAt === 0 ? text : text.slice(charAt);
      const memory = this.#reserve(window);
      const before = memory.slice(x.range(), x.range() + x.depth() * HASH_BYTES);
      const { read, written } = encoder.encodeInto(src, memory.subarray(x.input() + 1, x.input() + 1 + window));
      const n = x.append_lines(written, Math.min(maxBytes, 0xffff_ffff));
      if (n === 0) {
        // One line longer than the window: widen it to the whole rest (UTF-8 is at most 3 bytes per unit).
        if (read === src.length) throw new Error("text does not end with a newline");
        window = src.length * 3;
        continue;
      }
      if (lineAt + n > lines.length) break;
      let chars = 0;
      for (let i = lineAt; i < lineAt + n; i++) chars += lines[i]!.length + 1;
      onChunk({ text: chars === src.length ? src : src.slice(0, chars), from: lineAt, to: lineAt + n, bytes: x.consumed(), frontierBefore: before });
      charAt += chars;
      lineAt += n;
    }
    // A line with a newline in it makes two leaves (stored lines are JSON: they have none).
    if (lineAt !== lines.length || x.size() !== end) throw new Error("a line to append contains a newline");
    this.#store(range);
  }

  /**
   * Append every line of `utf8` (whole lines, each ending in "\n", the newline not hashed) to
   * `range` as leaves, in place: the offline verifier's bulk path.
   */
  appendUtf8(range: CompactRange, utf8: Uint8Array): void {
    if (utf8.byteLength === 0) return;
    if (utf8[utf8.byteLength - 1] !== 0x0a) throw new Error("text does not end with a newline");
    const x = this.#x;
    this.#load(range);
    // Whole lines, up to UTF8_SLICE_BYTES at a time (a longer line alone), so memory stays bounded.
    for (let at = 0; at < utf8.byteLength; ) {
      let end = Math.min(at + UTF8_SLICE_BYTES, utf8.byteLength);
      if (end < utf8.byteLength) {
        const nl = utf8.lastIndexOf(0x0a, end - 1);
        end = nl >= at ? nl + 1 : utf8.indexOf(0x0a, end) + 1;
      }
      const memory = this.#reserve(end - at);
      memory.set(utf8.subarray(at, end), x.input() + 1);
      x.append_lines(end - at, 0xffff_ffff);
      if (x.consumed() !== end - at) throw new Error("not every line was appended");
      at = end;
    }
    this.#store(range);
  }

  #load(range: CompactRange): void {
    const memory = new Uint8Array(this.#x.memory.buffer);
    range.hashes.forEach((h, i) => memory.set(h, this.#x.range() + i * HASH_BYTES));
    this.#x.reset(range.size);
  }

  #store(range: CompactRange): void {
    const memory = new Uint8Array(this.#x.memory.buffer);
    const at = this.#x.range();
    range.hashes = Array.from({ length: this.#x.depth() }, (_, i) => memory.slice(at + i * HASH_BYTES, at + (i + 1) * HASH_BYTES));
    range.size = this.#x.size();
  }

  /** Memory with room for `bytes` of text after input(); growing detaches old views, so views are made after. */
  #reserve(bytes: number): Uint8Array {
    const need = this.#x.input() + 1 + bytes;
    const have = this.#x.memory.buffer.byteLength;
    if (need > have) this.#x.memory.grow(Math.ceil((need - have) / WASM_PAGE_BYTES));
    return new Uint8Array(this.#x.memory.buffer);
  }
}
