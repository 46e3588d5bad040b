/** Liveness: `GET /health` and `GET /v1/health`. */
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";

export const health = new Hono<AppEnv>();

const handler = (c: { json: (b: unknown) => Response }) =>
  c.json({ status: "healthy", timestamp: new Date().toISOString() });

health.get("/health", (c) => handler(c));
health.get("/v1/health", (c) => handler(c));
