/*
 * RFC 6962 Merkle appends over SHA-256 (FIPS 180-4), for WebAssembly: one call hashes every
 * line of a chunk's JSONL and folds the leaves into the compact range, so the JS side crosses
 * into it once per chunk instead of twice per line. No libc, no imports; built by
 * scripts/build-merkle-wasm.sh into merkle-sha256.wasm (checked in).
 *
 * Memory layout, shared with merkle-wasm.ts: `range` holds the frontier (largest subtree first,
 * 32 bytes each, one per set bit of `size`); the text to append starts at `input` + 1 (the byte
 * before it is scratch for the leaf prefix) and the JS side grows memory to fit it.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t load_be(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void compress(uint32_t s[8], const uint8_t *block) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) w[i] = load_be(block + 4 * i);
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

/* SHA-256 of msg[0..len) into out (32 bytes). */
static void sha256(const uint8_t *msg, uint32_t len, uint8_t *out) {
  uint32_t s[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  uint32_t full = len & ~63u;
  for (uint32_t off = 0; off < full; off += 64) compress(s, msg + off);
  uint8_t tail[128];
  uint32_t rest = len - full;
  for (uint32_t i = 0; i < rest; i++) tail[i] = msg[full + i];
  tail[rest] = 0x80;
  uint32_t end = rest + 1 + 8 <= 64 ? 64 : 128;
  for (uint32_t i = rest + 1; i < end - 8; i++) tail[i] = 0;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) tail[end - 1 - i] = (uint8_t)(bits >> (8 * i));
  compress(s, tail);
  if (end == 128) compress(s, tail + 64);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(s[i] >> 24); out[4 * i + 1] = (uint8_t)(s[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s[i] >> 8); out[4 * i + 3] = (uint8_t)s[i];
  }
}

/*
 * Four leaves at once: SHA-256 over four messages in the four 32-bit lanes of SIMD vectors
 * (the "multi-buffer" layout). Messages of different lengths run for the longest one's blocks;
 * a lane past its last block hashes a dummy block and keeps its state.
 */
#define ROTR4(x, n) wasm_v128_or(wasm_u32x4_shr((x), (n)), wasm_i32x4_shl((x), 32 - (n)))

static void compress4(v128_t s[8], const uint8_t *const blocks[4], v128_t active) {
  v128_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = wasm_i32x4_make(load_be(blocks[0] + 4 * i), load_be(blocks[1] + 4 * i), load_be(blocks[2] + 4 * i), load_be(blocks[3] + 4 * i));
  for (int i = 16; i < 64; i++) {
    v128_t s0 = wasm_v128_xor(wasm_v128_xor(ROTR4(w[i - 15], 7), ROTR4(w[i - 15], 18)), wasm_u32x4_shr(w[i - 15], 3));
    v128_t s1 = wasm_v128_xor(wasm_v128_xor(ROTR4(w[i - 2], 17), ROTR4(w[i - 2], 19)), wasm_u32x4_shr(w[i - 2], 10));
    w[i] = wasm_i32x4_add(wasm_i32x4_add(w[i - 16], s0), wasm_i32x4_add(w[i - 7], s1));
  }
  v128_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int i = 0; i < 64; i++) {
    v128_t S1 = wasm_v128_xor(wasm_v128_xor(ROTR4(e, 6), ROTR4(e, 11)), ROTR4(e, 25));
    v128_t ch = wasm_v128_bitselect(f, g, e);
    v128_t t1 = wasm_i32x4_add(wasm_i32x4_add(h, S1), wasm_i32x4_add(ch, wasm_i32x4_add(wasm_i32x4_splat((int32_t)K[i]), w[i])));
    v128_t S0 = wasm_v128_xor(wasm_v128_xor(ROTR4(a, 2), ROTR4(a, 13)), ROTR4(a, 22));
    v128_t maj = wasm_v128_bitselect(a, b, wasm_v128_xor(b, c));
    v128_t t2 = wasm_i32x4_add(S0, maj);
    h = g; g = f; f = e; e = wasm_i32x4_add(d, t1); d = c; c = b; b = a; a = wasm_i32x4_add(t1, t2);
  }
  v128_t out[8] = { a, b, c, d, e, f, g, h };
  for (int i = 0; i < 8; i++) s[i] = wasm_v128_bitselect(wasm_i32x4_add(s[i], out[i]), s[i], active);
}

static const uint8_t zero_block[64];

/* SHA-256 of four messages msg[l][0..len[l]) into out + 32 * l. */
static void sha256x4(uint8_t *const msg[4], const uint32_t len[4], uint8_t *out) {
  static const uint32_t IV[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  v128_t s[8];
  for (int i = 0; i < 8; i++) s[i] = wasm_i32x4_splat((int32_t)IV[i]);
  uint8_t tail[4][128];
  uint32_t full[4], blocks[4], most = 0;
  for (int l = 0; l < 4; l++) {
    full[l] = len[l] / 64;
    uint32_t rest = len[l] - full[l] * 64;
    for (uint32_t i = 0; i < rest; i++) tail[l][i] = msg[l][full[l] * 64 + i];
    tail[l][rest] = 0x80;
    uint32_t end = rest + 1 + 8 <= 64 ? 64 : 128;
    for (uint32_t i = rest + 1; i < end - 8; i++) tail[l][i] = 0;
    uint64_t bits = (uint64_t)len[l] * 8;
    for (int i = 0; i < 8; i++) tail[l][end - 1 - i] = (uint8_t)(bits >> (8 * i));
    blocks[l] = full[l] + end / 64;
    if (blocks[l] > most) most = blocks[l];
  }
  for (uint32_t b = 0; b < most; b++) {
    const uint8_t *p[4];
    for (int l = 0; l < 4; l++) p[l] = b < full[l] ? msg[l] + 64 * b : b < blocks[l] ? tail[l] + 64 * (b - full[l]) : zero_block;
    v128_t active = wasm_i32x4_make(b < blocks[0] ? -1 : 0, b < blocks[1] ? -1 : 0, b < blocks[2] ? -1 : 0, b < blocks[3] ? -1 : 0);
    compress4(s, p, active);
  }
  for (int l = 0; l < 4; l++) {
    for (int i = 0; i < 8; i++) {
      uint32_t v = (uint32_t)(l == 0 ? wasm_i32x4_extract_lane(s[i], 0) : l == 1 ? wasm_i32x4_extract_lane(s[i], 1) : l == 2 ? wasm_i32x4_extract_lane(s[i], 2) : wasm_i32x4_extract_lane(s[i], 3));
      out[32 * l + 4 * i] = (uint8_t)(v >> 24); out[32 * l + 4 * i + 1] = (uint8_t)(v >> 16);
      out[32 * l + 4 * i + 2] = (uint8_t)(v >> 8); out[32 * l + 4 * i + 3] = (uint8_t)v;
    }
  }
}

/* Frontier: at most 64 subtree roots (one per bit of a 64-bit size). */
static uint8_t range[64 * 32];
static uint32_t depth;
static double size; /* a JS number: sizes stay below 2^53 */

EXPORT("range") uint8_t *range_ptr(void) { return range; }

static uint32_t grouped; /* leaf hashes queued in `group`, not yet folded into the frontier */

/* Start from a frontier of `n` leaves whose hashes the caller wrote at range(). */
EXPORT("reset") void reset(double n) {
  size = n;
  depth = 0;
  /* A call that trapped part-way must not leave its queued leaves to the next append. */
  grouped = 0;
  for (uint64_t x = (uint64_t)n; x; x >>= 1) depth += (uint32_t)(x & 1);
}

EXPORT("size") double size_of(void) { return size; }

/* Leaves are folded in groups: a group's nodes are hashed level by level, four at a time. */
#define GROUP 256
static uint8_t group[GROUP * 32];
static uint8_t level_a[(GROUP / 2 + 2) * 32], level_b[(GROUP / 2 + 2) * 32];

/* node = SHA-256(0x01 || left || right) for `n` pairs, four per call where it can. */
static void nodes(const uint8_t *const left[], const uint8_t *const right[], uint32_t n, uint8_t *out) {
  uint8_t buf[4][65];
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint8_t *msg[4];
    const uint32_t len[4] = { 65, 65, 65, 65 };
    for (int l = 0; l < 4; l++) {
      buf[l][0] = 1;
      for (int j = 0; j < 32; j++) { buf[l][1 + j] = left[i + l][j]; buf[l][33 + j] = right[i + l][j]; }
      msg[l] = buf[l];
    }
    sha256x4(msg, len, out + 32 * i);
  }
  for (; i < n; i++) {
    buf[0][0] = 1;
    for (int j = 0; j < 32; j++) { buf[0][1 + j] = left[i][j]; buf[0][33 + j] = right[i][j]; }
    sha256(buf[0], 65, out + 32 * i);
  }
}

/*
 * Append the `grouped` leaf hashes to the frontier. With S leaves before and E after, the
 * nodes the group completes at level k have indices [S >> k, E >> k); node j's children are
 * nodes 2j and 2j + 1 of level k - 1, the left one the old frontier's subtree when it lies
 * before the group. The new frontier is, for each set bit k of E, node (E >> k) - 1 of level k.
 */
static void fold_group(void) {
  uint64_t S = (uint64_t)size, E = S + grouped;
  const uint8_t *old[64];
  uint32_t at = 0;
  for (int k = 63; k >= 0; k--) if ((S >> k) & 1) old[k] = range + 32 * at++;
  uint8_t top[64][32];
  const uint8_t *cur = group;
  uint8_t *next = level_a;
  const uint8_t *left[GROUP / 2 + 1], *right[GROUP / 2 + 1];
  for (int k = 0; k < 64; k++) {
    uint64_t lo = S >> k, hi = E >> k;
    if ((E >> k) & 1) {
      const uint8_t *h = hi - 1 >= lo ? cur + 32 * (hi - 1 - lo) : old[k];
      for (int j = 0; j < 32; j++) top[k][j] = h[j];
    }
    if (hi == lo) {
      /* No new nodes from here up: the rest of the frontier is the old one's. */
      for (int u = k + 1; u < 64; u++) if ((E >> u) & 1) for (int j = 0; j < 32; j++) top[u][j] = old[u][j];
      break;
    }
    uint64_t plo = lo >> 1, phi = hi >> 1;
    uint32_t n = (uint32_t)(phi - plo);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t l = 2 * (plo + i);
      left[i] = l >= lo ? cur + 32 * (l - lo) : old[k];
      right[i] = cur + 32 * (l + 1 - lo);
    }
    nodes(left, right, n, next);
    cur = next;
    next = next == level_a ? level_b : level_a;
  }
  depth = 0;
  for (int k = 63; k >= 0; k--) if ((E >> k) & 1) { for (int j = 0; j < 32; j++) range[32 * depth + j] = top[k][j]; depth++; }
  size = (double)E;
  grouped = 0;
}

extern uint8_t __heap_base;

/* Where the caller writes text: one scratch byte, then the text. */
EXPORT("input") uint8_t *input(void) { return &__heap_base; }

static uint32_t consumed_bytes;

/*
 * Append the '\n'-terminated lines of the `len` bytes at input() + 1 as leaves
 * (leaf = SHA-256(0x00 || line), the newline excluded), stopping before the first line
 * that would take the bytes consumed (newlines included) past `max`; the first line is
 * always taken. Bytes after the last newline are not read. Returns the lines appended;
 * consumed() is their bytes.
 */
EXPORT("append_lines") uint32_t append_lines(uint32_t len, uint32_t max) {
  uint8_t *text = input() + 1;
  uint8_t *msg[4];
  uint32_t msg_len[4];
  uint8_t leaves[4 * 32];
  uint32_t start = 0, lines = 0, queued = 0, i = 0;
  for (;;) {
    /* Queue up to four lines; the byte before each (scratch, or the previous newline) becomes its 0x00 prefix. */
    for (; queued < 4 && i < len; i++) {
      if (text[i] != '\n') continue;
      if ((lines || queued) && i + 1 > max) { len = i; break; }
      msg[queued] = text + start - 1;
      msg_len[queued] = i - start + 1;
      queued++;
      start = i + 1;
    }
    if (queued == 0) break;
    uint8_t saved[4];
    for (uint32_t q = 0; q < queued; q++) { saved[q] = *msg[q]; *msg[q] = 0; }
    if (queued == 4) {
      sha256x4(msg, msg_len, leaves);
    } else {
      for (uint32_t q = 0; q < queued; q++) sha256(msg[q], msg_len[q], leaves + 32 * q);
    }
    for (uint32_t q = 0; q < queued; q++) *msg[q] = saved[q];
    for (uint32_t q = 0; q < 32 * queued; q++) group[32 * grouped + q] = leaves[q];
    grouped += queued;
    if (grouped + 4 > GROUP) fold_group();
    lines += queued;
    queued = 0;
  }
  if (grouped) fold_group();
  consumed_bytes = start;
  return lines;
}

EXPORT("consumed") uint32_t consumed(void) { return consumed_bytes; }

EXPORT("depth") uint32_t depth_of(void) { return depth; }
