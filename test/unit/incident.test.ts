import { describe, expect, it } from "vitest";
import { incidentStep, INCIDENT_FINAL_SEAL_GIVE_UP_MS, INCIDENT_SEAL_RETRY_MS, type IncidentSealState } from "../../durable-objects/asset-log/incident-sealing.ts";
import { decodeIncidentRequest, incidentActive, incidentRing, INCIDENT_SEAL_INTERVAL_MS, newerIncident, raiseRing, type Incident } from "../../shared/incident.ts";
import { MAX_RING_MAX_LINES, MAX_RING_MAX_SECONDS } from "../../shared/limits.ts";

const T = 1_800_000_000_000;
const incident = (over: Partial<Incident> = {}): Incident => ({
  id: "inc_0123456789abcdef", reason: "r", by: "operator", started_at: T, until: T + 1_800_000, assets: null, ring_factor: 10, updated_at: T, ...over,
});

describe("incident rules", () => {
  it("defaults: 30 minutes, factor 10, every asset", () => {
    expect(decodeIncidentRequest({ reason: " why " })).toEqual({ ok: true, value: { reason: "why", ttl_seconds: 1800, assets: null, ring_factor: 10 } });
    expect(decodeIncidentRequest({ reason: "x", assets: ["b", "a", "b"] })).toMatchObject({ ok: true, value: { assets: ["a", "b"] } });
  });

  it("applies until `until` (exclusive) and only to listed assets", () => {
    const inc = incident({ assets: ["a"] });
    expect(incidentActive(inc, "a", inc.until - 1)).toBe(true);
    expect(incidentActive(inc, "a", inc.until)).toBe(false);
    expect(incidentActive(inc, "b", T)).toBe(false);
    expect(incidentRing({ max_lines: 10, max_seconds: 60 }, inc, "a", T)).toEqual({ max_lines: 100, max_seconds: 600 });
    expect(incidentRing({ max_lines: 10, max_seconds: 60 }, inc, "b", T)).toEqual({ max_lines: 10, max_seconds: 60 });
  });

  it("raised bounds stay within the config maxima and never below the tenant's own", () => {
    expect(raiseRing({ max_lines: 5_000_000, max_seconds: 10 * 86_400 }, 10)).toEqual({ max_lines: MAX_RING_MAX_LINES, max_seconds: MAX_RING_MAX_SECONDS });
    expect(raiseRing({ max_lines: MAX_RING_MAX_LINES, max_seconds: MAX_RING_MAX_SECONDS }, 100)).toEqual({ max_lines: MAX_RING_MAX_LINES, max_seconds: MAX_RING_MAX_SECONDS });
  });

  it("keeps the newer of two versions", () => {
    const older = incident();
    const ended = incident({ until: T + 5, ended_at: T + 5, updated_at: T + 5 });
    expect(newerIncident(ended, older)).toBe(ended);
    expect(newerIncident(older, ended)).toBe(ended);
    expect(newerIncident(null, older)).toBe(older);
    expect(newerIncident(undefined, null)).toBeNull();
  });
});

describe("incident sealing step", () => {
  function harness(sealErrors: (string | null)[]) {
    let state: IncidentSealState | null = null;
    const sealed: string[] = [];
    const froms: (number | undefined)[] = [];
    const failures: boolean[] = [];
    const deps = {
      asset: "a",
      state: () => state,
      saveState: (s: IncidentSealState | null) => void (state = s),
      seal: async (inc: Incident, from: number | undefined) => {
        const e = sealErrors.shift() ?? null;
        froms.push(from);
        if (e !== null) return { ok: false as const, error: e };
        sealed.push(inc.id);
        return { ok: true as const, end: 10 * sealed.length };
      },
      logFailure: (_: Incident, __: string, givingUp: boolean) => void failures.push(givingUp),
    };
    return { deps, sealed, failures, froms, state: () => state };
  }

  it("seals at start, hourly, and at the end; then stops", async () => {
    const inc = incident({ until: T + 3 * INCIDENT_SEAL_INTERVAL_MS });
    const h = harness([]);
    expect(await incidentStep(h.deps, inc, T)).toBe(T + INCIDENT_SEAL_INTERVAL_MS);
    expect(await incidentStep(h.deps, inc, T + 10)).toBe(T + INCIDENT_SEAL_INTERVAL_MS);
    expect(h.sealed).toHaveLength(1);
    expect(await incidentStep(h.deps, inc, T + INCIDENT_SEAL_INTERVAL_MS)).toBe(T + 2 * INCIDENT_SEAL_INTERVAL_MS);
    // The last hourly seal is due after `until`: the next wake-up is `until` itself.
    expect(await incidentStep(h.deps, inc, T + 2.5 * INCIDENT_SEAL_INTERVAL_MS)).toBe(inc.until);
    expect(await incidentStep(h.deps, inc, inc.until)).toBeNull();
    expect(h.sealed).toHaveLength(4);
    // Each seal continues from where this incident's previous bundle ended, not from any later bundle.
    expect(h.froms).toEqual([undefined, 10, 20, 30]);
    expect(h.state()).toBeNull();
    expect(await incidentStep(h.deps, inc, inc.until + 1)).toBeNull();
    expect(h.sealed).toHaveLength(4);
  });

  it("a failed seal is retried after 5 minutes; a closing seal that keeps failing is given up a day after the end", async () => {
    const inc = incident();
    const h = harness(["store_misconfigured", null, "signing_unavailable", "signing_unavailable"]);
    expect(await incidentStep(h.deps, inc, T)).toBe(T + INCIDENT_SEAL_RETRY_MS);
    expect(h.state()).toMatchObject({ failures: 1, last_error: "store_misconfigured" });
    // The retry works; the next hourly seal would be after `until` (30 min), so it wakes at `until`.
    expect(await incidentStep(h.deps, inc, T + INCIDENT_SEAL_RETRY_MS)).toBe(inc.until);
    expect(h.state()).toMatchObject({ failures: 0, seals: 1 });
    const end = inc.until + 1;
    expect(await incidentStep(h.deps, inc, end)).toBe(end + INCIDENT_SEAL_RETRY_MS);
    expect(h.failures).toEqual([false, false]);
    expect(await incidentStep(h.deps, inc, inc.until + INCIDENT_FINAL_SEAL_GIVE_UP_MS + 1)).toBeNull();
    expect(h.failures).toEqual([false, false, true]);
    expect(h.state()).toBeNull();
  });

  it("a new incident replacing one being sealed closes the old one first", async () => {
    const first = incident();
    const second = incident({ id: "inc_fedcba9876543210", started_at: T + 60_000, until: T + 7_200_000, updated_at: T + 60_000 });
    const h = harness([]);
    await incidentStep(h.deps, first, T);
    await incidentStep(h.deps, second, T + 60_000);
    expect(h.sealed).toEqual([first.id, first.id, second.id]);
    expect(h.state()!.incident.id).toBe(second.id);
  });
});
