/**
 * The tenant config section `redaction` (docs/enrichment-and-redaction.md): a redaction
 * profile applied to every record at ingest, before anything is stored, hashed or aggregated.
 * Validated in the style of tenant-config.ts.
 */
import { RE2JS } from "re2js";
import {
  MAX_REDACTION_CUSTOM_PATTERNS, MAX_REDACTION_KEYS, MAX_REDACTION_PATTERN_CHARS, MAX_REDACTION_STRING_CHARS, MIN_REDACTION_STRING_CHARS,
} from "../limits.ts";
import { array, integer, type Issues, object, oneOf, onlyKeys, secretRef, string } from "../validate.ts";

export const REDACTION_ACTIONS = ["hash", "drop"] as const;
export type RedactionAction = (typeof REDACTION_ACTIONS)[number];
export const BUILTIN_PATTERNS = ["email", "bearer_token", "aws_access_key", "card_number"] as const;
export type BuiltinPattern = (typeof BUILTIN_PATTERNS)[number];
/** Counter reasons that are not pattern names. */
export const KEY_REASONS = ["key_dropped", "key_hashed", "not_allowed", "truncated"] as const;

export interface CustomPattern {
  name: string;
  /** RE2 syntax (RE2JS: linear-time matching). */
  pattern: string;
  action: RedactionAction;
}

export interface RedactionProfile {
  /** Selectors of fields removed: a key name (any depth) or a dot path from the record's root. */
  drop_keys?: string[];
  /** Selectors of fields whose value is replaced by its SHA-256 hex. */
  hash_keys?: string[];
  /** When present: only fields these select (with everything under them) are kept. */
  allow_keys?: string[];
  /** Built-in value patterns and what to do with a match. */
  patterns?: Partial<Record<BuiltinPattern, RedactionAction>>;
  custom_patterns?: CustomPattern[];
  /** Longer strings are cut to this many UTF-16 code units (after patterns ran on the whole string). */
  max_string_length?: number;
  /** Worker secret holding the hash salt (hashes become HMAC-SHA-256 keyed with it). */
  hash_salt_ref?: string;
}

/** Salts are named REDACTION_SALT*: a tenant admin cannot point the hash at another secret and query it as an oracle. */
const SALT_REF_RE = /^REDACTION_SALT[A-Z0-9_]*$/;
/** Printable ASCII key names without dots or spaces, joined by dots. */
const SELECTOR = { max: 200, re: /^[\x21-\x2d\x2f-\x7e]+(\.[\x21-\x2d\x2f-\x7e]+)*$/, what: "a key name or dot path (printable ASCII, no spaces)" };
const NAME = { max: 64, re: /^[a-z0-9][a-z0-9_-]*$/, what: "a name of 1-64 [a-z0-9_-]" };

function selectors(v: unknown, at: string, issues: Issues): string[] {
  return (array(v, at, MAX_REDACTION_KEYS, issues) ?? []).map((x, i) => string(x, `${at}/${i}`, issues, SELECTOR)).filter((x): x is string => x !== undefined);
}

export function decodeRedactionProfile(v: unknown, at: string, issues: Issues): RedactionProfile | undefined {
  const o = object(v, at, issues);
  if (!o) return undefined;
  onlyKeys(o, ["drop_keys", "hash_keys", "allow_keys", "patterns", "custom_patterns", "max_string_length", "hash_salt_ref"], at, issues);
  const out: RedactionProfile = {};
  for (const k of ["drop_keys", "hash_keys", "allow_keys"] as const) if (o[k] !== undefined) out[k] = selectors(o[k], `${at}/${k}`, issues);
  if (o.patterns !== undefined) {
    const p = object(o.patterns, `${at}/patterns`, issues);
    if (p) {
      onlyKeys(p, BUILTIN_PATTERNS, `${at}/patterns`, issues);
      out.patterns = {};
      for (const name of BUILTIN_PATTERNS) {
        if (p[name] === undefined) continue;
        const action = oneOf(p[name], REDACTION_ACTIONS, `${at}/patterns/${name}`, issues);
        if (action) out.patterns[name] = action;
      }
    }
  }
  if (o.custom_patterns !== undefined) {
    const names = new Set<string>([...BUILTIN_PATTERNS, ...KEY_REASONS]);
    out.custom_patterns = (array(o.custom_patterns, `${at}/custom_patterns`, MAX_REDACTION_CUSTOM_PATTERNS, issues) ?? []).flatMap((x, i) => {
      const p = `${at}/custom_patterns/${i}`;
      const c = object(x, p, issues);
      if (!c) return [];
      onlyKeys(c, ["name", "pattern", "action"], p, issues);
      const name = string(c.name, `${p}/name`, issues, NAME);
      if (name && names.has(name)) issues.add(`${p}/name`, "is a built-in reason or another pattern's name");
      if (name) names.add(name);
      const pattern = string(c.pattern, `${p}/pattern`, issues, { max: MAX_REDACTION_PATTERN_CHARS });
      const why = pattern === undefined ? undefined : patternProblem(pattern);
      if (why) issues.add(`${p}/pattern`, why);
      const action = c.action === undefined ? "hash" : oneOf(c.action, REDACTION_ACTIONS, `${p}/action`, issues);
      return name && pattern && !why && action ? [{ name, pattern, action }] : [];
    });
  }
  if (o.max_string_length !== undefined) {
    out.max_string_length = integer(o.max_string_length, `${at}/max_string_length`, MIN_REDACTION_STRING_CHARS, MAX_REDACTION_STRING_CHARS, issues);
  }
  if (o.hash_salt_ref !== undefined) {
    const ref = secretRef(o.hash_salt_ref, `${at}/hash_salt_ref`, issues);
    if (ref !== undefined && !SALT_REF_RE.test(ref)) issues.add(`${at}/hash_salt_ref`, "must name a secret whose name starts with REDACTION_SALT");
    else if (ref !== undefined) out.hash_salt_ref = ref;
  }
  return out;
}

/** Why a custom pattern is refused: not RE2, or it matches the empty string (it would match everywhere). */
function patternProblem(pattern: string): string | undefined {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    return `must be an RE2 regular expression (no back-references or look-around): ${String((e as Error).message).slice(0, 120)}`;
  }
  return re.matcher("").find() ? "must not match the empty string" : undefined;
}
