/** A verification report as a clear verdict: "Verified" or "Failed", why, and the checks that passed. */
import type { VerifyCode, VerifyReport } from "../../shared/evidence/verify.ts";
import { h } from "../dom.ts";

/** What each failure means for someone relying on the bundle. */
const MEANING: Record<Exclude<VerifyCode, "ok">, string> = {
  malformed: "The statement is not a well-formed signed evidence statement.",
  bad_payload_type: "The envelope does not carry an evidence statement.",
  unknown_key: "It was not signed by any of the keys given: either another signer, or the keys are out of date.",
  bad_signature: "The signature does not match: the statement was altered after signing, or signed by someone else.",
  digest_mismatch: "The records are not the ones that were signed: they were changed, truncated or corrupted after sealing.",
  count_mismatch: "The number of lines differs from what was signed: lines were added or removed.",
  sequence_mismatch: "Lines are out of order, missing, or belong to another asset.",
  merkle_mismatch: "The lines do not reproduce the signed Merkle roots: the log was edited.",
  chain_break: "This bundle does not continue the previous one: the chain of bundles was broken.",
  chain_gap: "Lines between the previous bundle and this one are missing from both.",
};

export function renderVerdict(report: VerifyReport, what: string): HTMLElement {
  const checks = report.checks.length
    ? h("ul", { class: "checks", "aria-label": "Checks passed" }, ...report.checks.map((c) => h("li", null, h("span", { "aria-hidden": "true" }, "✓ "), c)))
    : null;
  if (report.ok) {
    return h("div", { class: "verdict verdict-pass", role: "status" },
      h("p", { class: "verdict-title" }, h("strong", null, "Verified"), ` — ${what}`),
      h("p", null, report.message),
      checks,
      ...report.warnings.map((w) => h("p", { class: "warning" }, `Note: ${w}`)));
  }
  const code = report.code as Exclude<VerifyCode, "ok">;
  return h("div", { class: "verdict verdict-fail", role: "alert" },
    h("p", { class: "verdict-title" }, h("strong", null, "Failed"), ` — ${what}: `, h("code", null, code)),
    h("p", null, MEANING[code] ?? ""),
    h("p", null, `Detail: ${report.message}`),
    checks ? h("p", null, "Checks that passed before it failed:") : null,
    checks);
}
