/**
 * The AssetLog's incident step (docs/incident-mode.md): while an incident applies to the asset,
 * seal a bundle when the asset learns of it and every hour after; when it ends (expiry or
 * DELETE), seal once more so the whole incident window is under evidence.
 * Bundles continue each other (`since=continue`), so together they cover every line.
 */
import { incidentActive, INCIDENT_SEAL_INTERVAL_MS, type Incident } from "../../shared/incident.ts";

/** Kept in the asset's meta while an incident is being sealed. */
export interface IncidentSealState {
  incident: Incident;
  next_seal_at: number;
  /** Seals made under this incident (for logs and tests). */
  seals: number;
  /**
   * Where this incident's last bundle ended: the next continues from there, so a bundle asked for
   * meanwhile with a shorter window (GET evidence?since=60) cannot leave a gap between them.
   */
  sealed_to?: number;
  failures: number;
  last_error?: string;
}

export interface IncidentSealDeps {
  asset: string;
  state: () => IncidentSealState | null;
  saveState: (s: IncidentSealState | null) => void;
  /**
   * Seal from `from` (absent: the end of the asset's last bundle) to the newest line, naming
   * `incident` in the predicate: where the bundle ended (null: nothing to seal), or the error.
   */
  seal: (incident: Incident, from: number | undefined) => Promise<{ ok: true; end: number | null } | { ok: false; error: string }>;
  logFailure: (incident: Incident, error: string, givingUp: boolean) => void;
}

/** A failed seal is tried again after this long. */
export const INCIDENT_SEAL_RETRY_MS = 5 * 60_000;
/** A final seal that keeps failing is given up this long after the incident ended. */
export const INCIDENT_FINAL_SEAL_GIVE_UP_MS = 86_400_000;

/** Run the step for the incident the asset knows (`incident`, possibly ended). When to run again, or null. */
export async function incidentStep(deps: IncidentSealDeps, incident: Incident | null, now: number): Promise<number | null> {
  let state = deps.state();
  // A different incident replaced the one being sealed: that one is over, seal its end first.
  if (state && incident && state.incident.id !== incident.id) {
    const closed = await finalSeal(deps, state, now);
    if (closed !== null) return closed;
    state = null;
  }
  if (incident && incidentActive(incident, deps.asset, now)) {
    if (state && now < state.next_seal_at) {
      if (state.incident.updated_at !== incident.updated_at) deps.saveState({ ...state, incident });
      return Math.min(state.next_seal_at, incident.until);
    }
    const res = await deps.seal(incident, state?.sealed_to);
    const error = res.ok ? null : res.error;
    const sealedTo = res.ok ? res.end ?? state?.sealed_to : state?.sealed_to;
    const seals = (state?.seals ?? 0) + (error === null ? 1 : 0);
    const failures = error === null ? 0 : (state?.failures ?? 0) + 1;
    if (error !== null) deps.logFailure(incident, error, false);
    const next = error === null ? now + INCIDENT_SEAL_INTERVAL_MS : now + INCIDENT_SEAL_RETRY_MS;
    deps.saveState({ incident, next_seal_at: next, seals, failures, ...(sealedTo !== undefined ? { sealed_to: sealedTo } : {}), ...(error !== null ? { last_error: error } : {}) });
    return Math.min(next, incident.until);
  }
  if (!state) return null;
  // Ended or expired (or this asset is no longer listed): the closing seal, under the newest version.
  const ended = incident && incident.id === state.incident.id ? incident : state.incident;
  return finalSeal(deps, { ...state, incident: ended }, now);
}

/** Seal the incident's end; null once done (or given up), else when to try again. */
async function finalSeal(deps: IncidentSealDeps, state: IncidentSealState, now: number): Promise<number | null> {
  const res = await deps.seal(state.incident, state.sealed_to);
  const error = res.ok ? null : res.error;
  if (error === null) {
    deps.saveState(null);
    return null;
  }
  const givingUp = now - state.incident.until > INCIDENT_FINAL_SEAL_GIVE_UP_MS;
  deps.logFailure(state.incident, error, givingUp);
  if (givingUp) {
    deps.saveState(null);
    return null;
  }
  deps.saveState({ ...state, failures: state.failures + 1, last_error: error, next_seal_at: now + INCIDENT_SEAL_RETRY_MS });
  return now + INCIDENT_SEAL_RETRY_MS;
}
