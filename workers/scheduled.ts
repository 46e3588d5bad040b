/**
 * Cron (hourly, wrangler.toml): the retention pass, judged at the trigger's scheduled time.
 * A run stopped by its bounds, or while another holds the pass, is continued by the next one.
 */
import type { Env } from "../durable-objects/env.ts";
import { log } from "./log.ts";
import { runRetention } from "./retention/retention-pass.ts";

export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const run = await runRetention(env, { nowMs: controller.scheduledTime, actor: "cron" });
  if (!run.ok) log.warn("RetentionSkipped", { reason: "run_in_progress", held_until: new Date(run.busy_until).toISOString() });
}
