/** The edge's structured logs: the shared logger (shared/log.ts). */
export { log } from "../shared/log.ts";
