/** The Prometheus text format 0.0.4 as a scraper parses it: HELP/TYPE, escaping, histograms. */
import { describe, expect, it } from "vitest";
import { escapeLabelValue, formatValue, renderExposition } from "../../workers/metrics/exposition.ts";

describe("renderExposition", () => {
  it("writes HELP and TYPE for every family, also one without samples, and ends with a newline", () => {
    const text = renderExposition([
      { type: "counter", name: "a_total", help: "Counts a.", samples: [{ labels: {}, value: 3 }] },
      { type: "gauge", name: "b", help: "Gauge b.", samples: [] },
    ]);
    expect(text).toBe("# HELP a_total Counts a.\n# TYPE a_total counter\na_total 3\n# HELP b Gauge b.\n# TYPE b gauge\n");
  });

  it("escapes backslash, double quote and line feed in label values, and backslash and line feed in HELP", () => {
    const text = renderExposition([
      { type: "counter", name: "x_total", help: "line\none \\ two", samples: [{ labels: { rule: 'a\\b"c\nd', asset: "plain" }, value: 1 }] },
    ]);
    expect(text.split("\n")).toEqual([
      "# HELP x_total line\\none \\\\ two",
      "# TYPE x_total counter",
      'x_total{rule="a\\\\b\\"c\\nd",asset="plain"} 1',
      "",
    ]);
    expect(escapeLabelValue('\\"\n')).toBe('\\\\\\"\\n');
  });

  it("writes histogram buckets cumulatively in bound order, +Inf equal to _count, then _sum and _count", () => {
    const text = renderExposition([{
      type: "histogram", name: "d_seconds", help: "Durations.", bounds: [0.1, 0.5, 1],
      samples: [{ labels: { route: "/v1/logs" }, buckets: [2, 0, 3], sum: 4.25, count: 7 }],
    }]);
    expect(text.trim().split("\n")).toEqual([
      "# HELP d_seconds Durations.",
      "# TYPE d_seconds histogram",
      'd_seconds_bucket{route="/v1/logs",le="0.1"} 2',
      'd_seconds_bucket{route="/v1/logs",le="0.5"} 2',
      'd_seconds_bucket{route="/v1/logs",le="1"} 5',
      'd_seconds_bucket{route="/v1/logs",le="+Inf"} 7',
      'd_seconds_sum{route="/v1/logs"} 4.25',
      'd_seconds_count{route="/v1/logs"} 7',
    ]);
  });

  it("spells special values as Prometheus does", () => {
    expect([Infinity, -Infinity, NaN, 0, 12, 0.005].map(formatValue)).toEqual(["+Inf", "-Inf", "NaN", "0", "12", "0.005"]);
  });

  it("refuses metric and label names that are not valid (they come from code, a bad one is a bug)", () => {
    expect(() => renderExposition([{ type: "gauge", name: "bad-name", help: "", samples: [] }])).toThrow(/metric name/);
    expect(() => renderExposition([{ type: "gauge", name: "ok", help: "", samples: [{ labels: { "bad label": "v" }, value: 1 }] }])).toThrow(/label name/);
    expect(() => renderExposition([{ type: "gauge", name: "ok", help: "", samples: [{ labels: { __name__: "v" }, value: 1 }] }])).toThrow(/label name/);
  });
});
