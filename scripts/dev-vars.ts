/** The git-ignored `.dev.vars` that `npm start` writes (ADMIN_TOKEN, EVIDENCE_SIGNING_KEYS), read as KEY=value pairs. */
import { existsSync, readFileSync } from "node:fs";

export const VARS_FILE = ".dev.vars";

/** KEY=value pairs (values may be single-quoted); empty when the file does not exist. */
export function readVars(file = VARS_FILE): Map<string, string> {
  const vars = new Map<string, string>();
  if (!existsSync(file)) return vars;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!.replace(/^'(.*)'$/, "$1"));
  }
  return vars;
}
