/** The dashboard chart's geometry (dashboard/panels/chart-model.ts): axes, slots, stacking, latency line. */
import { describe, expect, it } from "vitest";
import { axisMax, chartModel, type SeriesPoint } from "../../dashboard/panels/chart-model.ts";

const BOX = { width: 700, height: 240, left: 40, right: 60, top: 10, bottom: 30 };
const WINDOW = { since: "2026-11-25T10:00:00.000Z", until: "2026-11-25T11:00:00.000Z" };
const point = (minute: number, levels: Record<string, number>, p95: number | null): SeriesPoint => ({
  at: new Date(Date.parse(WINDOW.since) + minute * 60_000).toISOString(),
  events: Object.values(levels).reduce((a, b) => a + b, 0), levels, latency_p95_ms: p95,
});

describe("chart model", () => {
  it("rounds axes up to four whole steps", () => {
    expect([0, 1, 4, 23, 40, 41, 1500, 7].map(axisMax)).toEqual([4, 4, 4, 40, 40, 80, 2000, 8]);
  });

  it("places each minute in its slot and stacks levels bottom-up in a fixed order", () => {
    const m = chartModel([point(0, { INFO: 10, ERROR: 10 }, 120), point(59, { NONE: 5 }, null)], WINDOW, 60, BOX);
    const innerH = 200;
    const slotW = 600 / 60;
    expect(m.eventsMax).toBe(20);
    expect(m.bars[0]!.x).toBeCloseTo(40 + slotW * 0.1);
    expect(m.bars[1]!.x).toBeCloseTo(40 + 59 * slotW + slotW * 0.1);
    // ERROR below INFO, each half the height: 20 events fill the axis.
    expect(m.bars[0]!.segments.map((s) => [s.level, s.count])).toEqual([["ERROR", 10], ["INFO", 10]]);
    expect(m.bars[0]!.segments[0]!.y + m.bars[0]!.segments[0]!.height).toBeCloseTo(10 + innerH);
    expect(m.bars[0]!.segments[1]!.y).toBeCloseTo(10);
    expect(m.bars[1]!.segments[0]!.height).toBeCloseTo(innerH / 4);
  });

  it("draws latency only where there is one, on its own axis, and labels time every few slots", () => {
    const m = chartModel([point(0, { INFO: 1 }, 120), point(1, { INFO: 1 }, null), point(2, { INFO: 1 }, 300)], WINDOW, 60, BOX);
    expect(m.latencyMax).toBe(400);
    expect(m.latency.map((p) => p.value)).toEqual([120, 300]);
    expect(m.latency[1]!.y).toBeCloseTo(10 + 200 - (300 / 400) * 200);
    expect(m.timeTicks).toHaveLength(6);
    expect(m.timeTicks[1]!.at).toBe("2026-11-25T10:10:00.000Z");
    expect(m.eventTicks.map((t) => t.value)).toEqual([0, 1, 2, 3, 4]);
  });
});
