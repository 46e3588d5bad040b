/** The one error class of the edge; `app.onError` turns it into problem+json. */
import { makeProblem, type FieldIssue, type ProblemCode } from "../shared/problem.ts";

export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, detail: string, extra: { errors?: FieldIssue[]; headers?: Record<string, string>; [k: string]: unknown } = {}) {
    super(detail);
    const { headers, ...rest } = extra;
    this.code = code;
    this.extra = rest;
    this.headers = headers ?? {};
  }

  problem(requestId: string) {
    return makeProblem(this.code, this.message, { ...this.extra, request_id: requestId });
  }
}
