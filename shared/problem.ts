/** RFC 9457 problem details: the one error shape every route returns. */

export interface FieldIssue {
  /** JSON pointer into the request (record index for batches: "/3/ts"). */
  pointer: string;
  detail: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  request_id?: string;
  errors?: FieldIssue[];
  [extra: string]: unknown;
}

/** Fixed vocabulary of error codes -> HTTP status and title. */
export const PROBLEM_CODES = {
  invalid_body: [400, "Malformed request body"],
  invalid_json: [400, "Body is not valid JSON"],
  invalid_encoding: [400, "Body is not valid gzip or UTF-8"],
  invalid_parameter: [400, "Invalid query parameter or header"],
  unauthorized: [401, "Missing or invalid credentials"],
  forbidden: [403, "Credentials do not allow this"],
  not_found: [404, "Not found"],
  method_not_allowed: [405, "Method not allowed"],
  conflict: [409, "Conflict"],
  payload_too_large: [413, "Request too large"],
  unsupported_media_type: [415, "Unsupported media type"],
  upgrade_required: [426, "Upgrade required"],
  unprocessable: [422, "Request is well-formed but its values are invalid"],
  rate_limited: [429, "Too many requests"],
  internal: [500, "Internal error"],
  store_unreachable: [502, "Evidence store unreachable"],
  destination_unreachable: [502, "Export destination unreachable"],
  unavailable: [503, "Temporarily unavailable"],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Problem type URI for a code; stable, documented in docs/errors.md. */
export function problemType(code: ProblemCode): string {
  return `https://telemetry-bridge.dev/problems/${code.replaceAll("_", "-")}`;
}

export function makeProblem(code: ProblemCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  const [status, title] = PROBLEM_CODES[code];
  return { type: problemType(code), title, status, detail, ...extra };
}
