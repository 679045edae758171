/**
 * The picture of `deno task bench`: downloads completed over time, one line
 * per script, one panel per scenario, drawn with Observable Plot on a
 * linkedom document so that it renders without a browser.
 *
 * Plot returns an HTML `<figure>` as soon as a plot has a title or a
 * categorical legend, so each panel is a bare Plot SVG, titled and labelled
 * with Plot's own text marks, and the panels are stacked in one outer SVG
 * that opens standalone.
 *
 * @module
 */

/// <reference lib="dom" />
// The DOM types (Document, Element) of linkedom's document and Plot's output.

import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import type { TraceLine } from "../lib/trace.ts";
import { type Case, isBaseline } from "./scenarios.ts";
import { idealTime, medianTime } from "./table.ts";

/** A point of a completion curve: seconds since the first request, downloads done by then. */
export type CurvePoint = { t: number; done: number };

/** One panel of the chart: what `chartPanels` makes. */
export type ChartPanel = ReturnType<typeof chartPanels>[number];

const SVG_NS = "http://www.w3.org/2000/svg";
const [WIDTH, PANEL_HEIGHT, HEADER_HEIGHT] = [760, 276, 64];

/** Fixed colours, so that a script has the same one in every panel. */
const SCRIPT_COLORS: Readonly<Record<string, string>> = {
  sequential: "#4269d0",
  threadpool: "#ff725c",
  asyncio: "#3ca951",
};

/** The completion curve of a trace: a step per request end, from (0, 0). */
export function completionCurve(trace: TraceLine[]): CurvePoint[] {
  if (trace.length === 0) return [];
  const t0 = Math.min(...trace.map((line) => line.start));
  const ends = trace.map((line) => (line.end - t0) / 1000).sort((a, b) =>
    a - b
  );
  return [{ t: 0, done: 0 }, ...ends.map((t, i) => ({ t, done: i + 1 }))];
}

/** Seconds for a label: "0.14 s", "13 s". */
const seconds = (t: number) => `${Number(t.toFixed(2))} s`;

/**
 * The chart's panels, one per scenario: its title, a subtitle (the codes,
 * each script's concurrency), a line per script from its traced run, and
 * rules at the times marked across it (each baseline's median, the ideal).
 */
export function chartPanels(cases: Case[]) {
  const scenarios = [...new Set(cases.map((c) => c.scenario))];
  return scenarios.map((scenario) => {
    const mine = cases.filter((c) => c.scenario === scenario);
    const scripts = mine.filter((c) => !isBaseline(c.runner));
    const rules = mine.filter((c) => isBaseline(c.runner)).map((c) => ({
      t: medianTime(c),
      label: `${c.runner.label} ${seconds(medianTime(c))}`,
    }));
    for (const t of new Set(scripts.map(idealTime))) {
      if (t) rules.push({ t, label: `ideal ${seconds(t)}` });
    }
    const concurrency = scripts.map((c) =>
      `${c.runner.label} ${c.runs[0].concurrency}`
    );
    return {
      title: scenario.label,
      subtitle: `${scripts[0]?.runs[0].codes} codes · concurrent requests: ` +
        concurrency.join(", ") + " · dot: last one",
      series: scripts.map((c) => ({
        script: c.runner.id,
        points: completionCurve(c.traced?.trace ?? []),
      })),
      rules,
    };
  });
}

/** The whole chart as a standalone SVG document, on a white page. */
export function renderChart(title: string, panels: ChartPanel[]): string {
  const { document } = parseHTML("<html><body></body></html>");
  const height = HEADER_HEIGHT + panels.length * PANEL_HEIGHT;
  const outer = document.createElementNS(SVG_NS, "svg");
  const page = document.createElementNS(SVG_NS, "rect");
  const attributes = (element: Element, values: Record<string, unknown>) =>
    Object.entries(values).map(([k, v]) => element.setAttribute(k, `${v}`));
  attributes(outer, { xmlns: SVG_NS, width: WIDTH, height });
  attributes(outer, { viewBox: `0 0 ${WIDTH} ${height}` });
  attributes(page, { width: "100%", height: "100%", fill: "white" });
  outer.appendChild(page);
  const scripts = [
    ...new Set(panels.flatMap((p) => p.series.map((s) => s.script))),
  ];
  const plots = [
    header(document, title, scripts),
    ...panels.map((panel) => panelPlot(document, panel)),
  ];
  plots.forEach((svg, i) => {
    attributes(svg, { x: 0, y: i && HEADER_HEIGHT + (i - 1) * PANEL_HEIGHT });
    outer.appendChild(svg);
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${outer.outerHTML}\n`;
}

/** The colour scale shared by every panel. */
function colorScale(scripts: string[]): Plot.ScaleOptions {
  return {
    domain: scripts,
    range: scripts.map((s) => SCRIPT_COLORS[s] ?? "black"),
  };
}

/** The chart title and the legend: a swatch and a name per script. */
function header(document: Document, title: string, scripts: string[]) {
  const keys = scripts.map((script, i) => ({ script, x: 30 + i * 120 }));
  return Plot.plot({
    ...{ document, width: WIDTH, height: HEADER_HEIGHT, margin: 0 },
    ...{ x: { type: "identity" }, y: { type: "identity" } },
    color: colorScale(scripts),
    marks: [
      Plot.text([title], {
        ...{ x: 16, y: 20, textAnchor: "start" },
        ...{ fontSize: 16, fontWeight: "bold" },
      }),
      Plot.ruleY(keys, {
        ...{ x1: (d) => d.x - 14, x2: (d) => d.x + 6, y: 46 },
        ...{ stroke: "script", strokeWidth: 3 },
      }),
      Plot.text(keys, {
        ...{ x: (d) => d.x + 12, y: 46, text: "script" },
        ...{ textAnchor: "start", fontSize: 13 },
      }),
    ],
  }) as unknown as Element;
}

/** One scenario's panel: a step line per script, dashed rules at the marked times, the rules named in the subtitle (they have no room of their own). */
function panelPlot(document: Document, panel: ChartPanel): Element {
  const points = panel.series.flatMap((s) =>
    s.points.map((p) => ({ ...p, script: s.script }))
  );
  const rules = panel.rules.map((rule) => rule.label).join(", ");
  const subtitle = panel.subtitle + (rules ? ` · dashed: ${rules}` : "");
  // Centred axis labels leave the top-left corner to the title.
  const axis = { labelAnchor: "center", grid: true, nice: true } as const;
  const text = {
    frameAnchor: "top-left",
    dx: -48,
    textAnchor: "start",
  } as const;
  return Plot.plot({
    ...{ document, width: WIDTH, height: PANEL_HEIGHT, marginTop: 56 },
    ...{ marginLeft: 64, marginRight: 24, marginBottom: 40 },
    x: { ...axis, label: "seconds since the first request" },
    y: { ...axis, label: "downloads completed" },
    color: colorScale(panel.series.map((s) => s.script)),
    marks: [
      Plot.text([panel.title], {
        ...{ ...text, dy: -36, fontSize: 14, fontWeight: "bold" },
      }),
      Plot.text([subtitle], { ...text, dy: -18, fontSize: 11, fill: "#444" }),
      Plot.ruleY([0]),
      Plot.ruleX(panel.rules, {
        x: "t",
        stroke: "#777",
        strokeDasharray: "5,4",
      }),
      Plot.line(points, {
        ...{ x: "t", y: "done", stroke: "script" },
        ...{ curve: "step-after", strokeWidth: 2 },
      }),
      Plot.dot(
        points,
        Plot.selectLast({ x: "t", y: "done", z: "script", fill: "script" }),
      ),
    ],
  }) as unknown as Element;
}
