/**
 * The picture of `deno task bench`: downloads completed over time, a line
 * per script, a panel per scenario, drawn with Observable Plot on a linkedom
 * document, without a browser. A plot with a title or a legend is an HTML
 * `<figure>`, so each panel is a bare Plot SVG titled with text marks, and
 * the panels are stacked in one outer SVG that opens standalone.
 *
 * @module
 */

/// <reference lib="dom" />
// The DOM types (Document, Element) of linkedom's document and Plot's output.

import * as Plot from "npm:@observablehq/plot@0.6.17";
import { parseHTML } from "npm:linkedom@0.18.15";
import type { TraceLine } from "../lib/trace.ts";
import { type Case, isBaseline } from "./scenarios.ts";
import { idealTime, medianTime } from "./page.ts";

/** One panel of the chart: what `chartPanels` makes. */
export type ChartPanel = ReturnType<typeof chartPanels>[number];

const SVG_NS = "http://www.w3.org/2000/svg";
const [WIDTH, PANEL_HEIGHT, HEADER_HEIGHT] = [760, 276, 64];
const FONT = { "font-family": "system-ui, sans-serif" };

/** Fixed colours, so that a script has the same one in every panel. */
const SCRIPT_COLORS: Readonly<Record<string, string>> = {
  sequential: "#4269d0",
  threadpool: "#ff725c",
  asyncio: "#3ca951",
};

/** The completion curve of a trace: a step per request end, from (0, 0), at `t` seconds since the first request, `done` downloads. */
export function completionCurve(trace: TraceLine[]) {
  if (trace.length === 0) return [];
  const t0 = Math.min(...trace.map((line) => line.start));
  const ends = trace.map((line) => (line.end - t0) / 1000);
  ends.sort((a, b) => a - b);
  return [{ t: 0, done: 0 }, ...ends.map((t, i) => ({ t, done: i + 1 }))];
}

/** "0.14 s", "13 s" */
const seconds = (t: number) => `${Number(t.toFixed(2))} s`;

/** The chart's panels, one per scenario with traced runs: its title, a subtitle (the codes, each script's concurrency), a line per script from its traced run, rules at each baseline's median and the ideal. */
export function chartPanels(cases: Case[]) {
  const scenarios = [...new Set(cases.map((c) => c.scenario))];
  return scenarios.flatMap((scenario) => {
    const mine = cases.filter((c) => c.scenario === scenario);
    const scripts = mine.filter((c) => c.traced?.trace.length);
    if (!scripts.length) return [];
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
    return [{
      title: scenario.label,
      subtitle: `${scripts[0]?.runs[0].codes} codes · concurrent requests: ` +
        concurrency.join(", ") + " · dot: last one",
      series: scripts.map((c) => ({
        script: c.runner.id,
        points: completionCurve(c.traced?.trace ?? []),
      })),
      rules,
    }];
  });
}

/** The whole chart as a standalone SVG document, on a white page: the title, a legend (a swatch and a name per script), the panels. */
export function renderChart(title: string, panels: ChartPanel[]): string {
  const { document } = parseHTML("<html><body></body></html>");
  const height = HEADER_HEIGHT + panels.length * PANEL_HEIGHT;
  const set = (element: Element, values: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(values)) {
      element.setAttribute(k, `${v}`);
    }
    return element;
  };
  const outer = set(document.createElementNS(SVG_NS, "svg"), {
    ...{ xmlns: SVG_NS, width: WIDTH, height },
    viewBox: `0 0 ${WIDTH} ${height}`,
  });
  const add = (tag: string, values: Record<string, unknown>, text = "") => {
    const element = set(document.createElementNS(SVG_NS, tag), values);
    element.textContent = text;
    return outer.appendChild(element);
  };
  add("rect", { width: "100%", height: "100%", fill: "white" });
  const text = (x: number, y: number, text: string, size = 13) =>
    add("text", { x, y, dy: "0.32em", "font-size": size, ...FONT }, text);
  text(16, 20, title, 16).setAttribute("font-weight", "bold");
  const scripts = new Set(panels.flatMap((p) => p.series.map((s) => s.script)));
  [...scripts].forEach((script, i) => {
    const [x, y] = [30 + i * 120, 46];
    const swatch = { x1: x - 14, x2: x + 6, y1: y, y2: y, "stroke-width": 3 };
    add("line", { ...swatch, stroke: color(script) });
    text(x + 12, y, script);
  });
  panels.forEach((panel, i) => {
    const y = HEADER_HEIGHT + i * PANEL_HEIGHT;
    outer.appendChild(set(panelPlot(document, panel), { x: 0, y }));
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${outer.outerHTML}\n`;
}

const color = (script: string) => SCRIPT_COLORS[script] ?? "black";

/** One scenario's panel: a step line per script, dashed rules at the marked times, the rules named in the subtitle (they have no room of their own). */
function panelPlot(document: Document, panel: ChartPanel): Element {
  const scripts = panel.series.map((s) => s.script);
  const points = panel.series.flatMap((s) =>
    s.points.map((p) => ({ ...p, script: s.script }))
  );
  const rules = panel.rules.map((rule) => rule.label).join(", ");
  const subtitle = panel.subtitle + (rules ? ` · dashed: ${rules}` : "");
  // Centred axis labels leave the top-left corner to the title.
  const axis = { labelAnchor: "center", grid: true, nice: true } as const;
  const [frameAnchor, textAnchor] = ["top-left", "start"] as const;
  const text = { frameAnchor, textAnchor, dx: -48 };
  return Plot.plot({
    ...{ document, width: WIDTH, height: PANEL_HEIGHT, marginTop: 56 },
    ...{ marginLeft: 64, marginRight: 24, marginBottom: 40 },
    x: { ...axis, label: "seconds since the first request" },
    y: { ...axis, label: "downloads completed" },
    color: { domain: scripts, range: scripts.map(color) },
    marks: [
      Plot.text([panel.title], {
        ...{ ...text, dy: -36, fontSize: 14, fontWeight: "bold" },
      }),
      Plot.text([subtitle], { ...text, dy: -18, fontSize: 11, fill: "#444" }),
      Plot.ruleY([0]),
      Plot.ruleX(panel.rules, { x: "t", stroke: "#777", strokeDasharray: "5" }),
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
