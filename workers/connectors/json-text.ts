/**
 * JSON and NDJSON parsing with the bridge's bounds (depth, line size, record
 * count). Pure: text in, values or a problem out.
 */
import { MAX_JSON_DEPTH, MAX_NDJSON_LINE_BYTES, MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import type { FieldIssue } from "../../shared/problem.ts";
import type { ProblemCode } from "../../shared/problem.ts";
import { utf8Length } from "../../shared/utf8.ts";

export interface DecodeProblem {
  code: ProblemCode;
  detail: string;
  errors?: FieldIssue[];
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeProblem };

/**
 * Why a parsed JSON value cannot be stored, or null: nesting deeper than `max`, or a
 * number JSON.parse turned into Infinity (e.g. 1e400), which has no canonical form.
 * Iterative, so hostile nesting cannot exhaust the stack.
 */
export function unstorable(value: unknown, max = MAX_JSON_DEPTH): string | null {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v === "number" && !Number.isFinite(v)) return "a number is out of range";
    if (typeof v !== "object" || v === null) continue;
    if (d > max) return `nesting is deeper than ${max} levels`;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return null;
}

export function parseJson(text: string, pointer = ""): Decoded<unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: { code: "invalid_json", detail: `Invalid JSON${pointer ? ` at ${pointer}` : ""}: ${(e as Error).message}` } };
  }
  const why = unstorable(value);
  if (why) return { ok: false, error: { code: "unprocessable", detail: `The JSON cannot be stored: ${why}.`, errors: [{ pointer, detail: why }] } };
  return { ok: true, value };
}

/** Parse NDJSON: one JSON value per non-empty line; pointers are record indexes. */
export function parseNdjson(text: string): Decoded<unknown[]> {
  const out: unknown[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let nl = text.indexOf("\n", start);
    if (nl === -1) nl = text.length;
    lineNo++;
    const line = text.slice(start, nl).trim();
    start = nl + 1;
    if (!line) continue;
    if (line.length > MAX_NDJSON_LINE_BYTES / 3 && utf8Length(line) > MAX_NDJSON_LINE_BYTES) {
      return { ok: false, error: { code: "payload_too_large", detail: `NDJSON line ${lineNo} exceeds ${MAX_NDJSON_LINE_BYTES} bytes.`, errors: [{ pointer: `/${out.length}`, detail: "line too long" }] } };
    }
    if (out.length >= MAX_RECORDS_PER_REQUEST) return tooMany();
    const parsed = parseJson(line, `/${out.length}`);
    if (!parsed.ok) {
      return { ok: false, error: { ...parsed.error, detail: `${parsed.error.detail} (line ${lineNo})` } };
    }
    out.push(parsed.value);
  }
  return { ok: true, value: out };
}

export function tooMany(): { ok: false; error: DecodeProblem } {
  return { ok: false, error: { code: "payload_too_large", detail: `More than ${MAX_RECORDS_PER_REQUEST} records in one request.` } };
}

/**
 * Media types read as JSON: none, application/json, and the types clients send by
 * default (text/plain from fetch with a string body, form-urlencoded from `curl -d`).
 */
export const JSON_LIKE_TYPES = new Set(["", "application/json", "text/plain", "application/x-www-form-urlencoded"]);

/** Media type without parameters, lowercased; "" when absent. */
export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}
