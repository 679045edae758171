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
import type { Run } from "./runs.ts";
import type { Case } from "./scenarios.ts";
import type { Row } from "./table.ts";

/** One request of a `--trace` file: epoch milliseconds and HTTP status or "error". */
export interface TraceLine {
  /** The country code. */
  cc: string;
  /** When the request started, epoch ms. */
  start: number;
  /** When it ended, epoch ms. */
  end: number;
  /** Its HTTP status, or "error" when there was none. */
  outcome: number | "error";
}

/** A point of a completion curve: seconds since the first request, downloads done. */
export interface CurvePoint {
  /** Seconds since the first request. */
  t: number;
  /** Downloads done by then. */
  done: number;
}

/** One line of a panel. */
export interface ChartSeries {
  /** The script, which picks the colour. */
  script: string;
  /** Its completion curve. */
  points: CurvePoint[];
}

/** A time marked across a panel: an ideal time, the curl floor. */
export interface ChartRule {
  /** Seconds since the first request. */
  t: number;
  /** What the time is, e.g. "ideal 0.5 s". */
  label: string;
}

/** One panel: a scenario, its lines and its marked times. */
export interface ChartPanel {
  /** The scenario, e.g. "DELAY -e -m 30". */
  title: string;
  /** Smaller text after the title, e.g. the concurrency of each script. */
  subtitle: string;
  /** A line per script. */
  series: ChartSeries[];
  /** Times marked across the panel. */
  rules: ChartRule[];
}

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 760;
const PANEL_HEIGHT = 276;
const HEADER_HEIGHT = 64;

/** Fixed colours, so that a script has the same one in every panel. */
export const SCRIPT_COLORS: Readonly<Record<string, string>> = {
  sequential: "#4269d0",
  threadpool: "#ff725c",
  asyncio: "#3ca951",
  curl: "#6b6b6b",
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

/** The chart's panels: per scenario, the traced run of each script. */
export function chartPanels(
  rows: Row[],
  cases: Case[],
  traced: (Run | undefined)[],
): ChartPanel[] {
  const panels = new Map<string, ChartPanel>();
  cases.forEach((c, i) => {
    const row = rows[i];
    const panel = panels.get(row.scenario) ??
      { title: row.scenario, subtitle: "", series: [], rules: [] };
    panels.set(row.scenario, panel);
    if (c.script === "curl" || c.script === "floor") {
      const name = c.script === "curl" ? "curl" : "Worker floor";
      panel.rules.push({
        t: row.median,
        label: `${name} ${fmtSeconds(row.median)}`,
      });
      return;
    }
    const trace = traced[i]?.trace ?? [];
    panel.series.push({ script: c.script, points: completionCurve(trace) });
    if (row.ideal && !panel.rules.some((rule) => rule.t === row.ideal)) {
      panel.rules.push({
        t: row.ideal,
        label: `ideal ${fmtSeconds(row.ideal)}`,
      });
    }
  });
  for (const panel of panels.values()) {
    panel.subtitle = concurrencies(panel, rows);
  }
  return [...panels.values()];
}

/** "676 codes · concurrent requests: sequential 1, threadpool 30 · dot: last one". */
function concurrencies(panel: ChartPanel, rows: Row[]): string {
  const mine = rows.filter((row) =>
    row.scenario === panel.title && row.script !== "curl" &&
    row.script !== "floor"
  );
  const concurrency = mine.map((row) => `${row.script} ${row.concurrency}`);
  return `${mine[0]?.codes} codes · concurrent requests: ` +
    concurrency.join(", ") + " · dot: last one";
}

/** Seconds for a label: "0.14 s", "13 s". */
function fmtSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(2))} s`;
}

/** The whole chart as a standalone SVG document. */
export function renderChart(title: string, panels: ChartPanel[]): string {
  const { document } = parseHTML("<html><body></body></html>");
  const height = HEADER_HEIGHT + panels.length * PANEL_HEIGHT;
  const outer = document.createElementNS(SVG_NS, "svg");
  outer.setAttribute("xmlns", SVG_NS);
  outer.setAttribute("width", String(WIDTH));
  outer.setAttribute("height", String(height));
  outer.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
  // A white page: viewers would otherwise show the lines on transparency.
  const page = document.createElementNS(SVG_NS, "rect");
  page.setAttribute("width", "100%");
  page.setAttribute("height", "100%");
  page.setAttribute("fill", "white");
  outer.appendChild(page);
  const scripts = [
    ...new Set(panels.flatMap((p) => p.series.map((s) => s.script))),
  ];
  place(outer, header(document, title, scripts), 0);
  panels.forEach((panel, i) => {
    place(outer, panelPlot(document, panel), HEADER_HEIGHT + i * PANEL_HEIGHT);
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${outer.outerHTML}\n`;
}

/** Appends a Plot SVG to the outer SVG at height `y`. */
function place(outer: Element, svg: Element, y: number): void {
  svg.setAttribute("x", "0");
  svg.setAttribute("y", String(y));
  outer.appendChild(svg);
}

/** The colour scale shared by every panel. */
function colorScale(scripts: string[]): Plot.ScaleOptions {
  return {
    domain: scripts,
    range: scripts.map((s) => SCRIPT_COLORS[s] ?? "black"),
  };
}

/** The chart title and the legend: a swatch and a name per script. */
function header(
  document: Document,
  title: string,
  scripts: string[],
): Element {
  const step = 120;
  const keys = scripts.map((script, i) => ({ script, x: 30 + i * step }));
  return Plot.plot({
    document,
    width: WIDTH,
    height: HEADER_HEIGHT,
    margin: 0,
    x: { type: "identity" },
    y: { type: "identity" },
    color: colorScale(scripts),
    marks: [
      Plot.text([title], {
        x: 16,
        y: 20,
        textAnchor: "start",
        fontSize: 16,
        fontWeight: "bold",
      }),
      Plot.ruleY(keys, {
        x1: (d) => d.x - 14,
        x2: (d) => d.x + 6,
        y: 46,
        stroke: "script",
        strokeWidth: 3,
      }),
      Plot.text(keys, {
        x: (d) => d.x + 12,
        y: 46,
        text: "script",
        textAnchor: "start",
        fontSize: 13,
      }),
    ],
  }) as unknown as Element;
}

/** The panel's subtitle, naming its dashed rules: they have no room of their own. */
function subtitle(panel: ChartPanel): string {
  const rules = panel.rules.map((rule) => rule.label).join(", ");
  return rules ? `${panel.subtitle} · dashed: ${rules}` : panel.subtitle;
}

/** One scenario's panel: a step line per script, dashed rules at the marked times. */
function panelPlot(document: Document, panel: ChartPanel): Element {
  const scripts = panel.series.map((s) => s.script);
  const points = panel.series.flatMap((s) =>
    s.points.map((p) => ({ ...p, script: s.script }))
  );
  return Plot.plot({
    document,
    width: WIDTH,
    height: PANEL_HEIGHT,
    marginTop: 56,
    marginLeft: 64,
    marginRight: 24,
    marginBottom: 40,
    x: {
      label: "seconds since the first request",
      labelAnchor: "center",
      grid: true,
      nice: true,
    },
    // A centred y label leaves the top-left corner to the title.
    y: {
      label: "downloads completed",
      labelAnchor: "center",
      grid: true,
      nice: true,
    },
    color: colorScale(scripts),
    marks: [
      Plot.text([panel.title], {
        frameAnchor: "top-left",
        dy: -36,
        dx: -48,
        textAnchor: "start",
        fontSize: 14,
        fontWeight: "bold",
      }),
      Plot.text([subtitle(panel)], {
        frameAnchor: "top-left",
        dy: -18,
        dx: -48,
        textAnchor: "start",
        fontSize: 11,
        fill: "#444",
      }),
      Plot.ruleY([0]),
      Plot.ruleX(panel.rules, {
        x: "t",
        stroke: "#777",
        strokeDasharray: "5,4",
      }),
      Plot.line(points, {
        x: "t",
        y: "done",
        stroke: "script",
        curve: "step-after",
        strokeWidth: 2,
      }),
      Plot.dot(
        points,
        Plot.selectLast({ x: "t", y: "done", z: "script", fill: "script" }),
      ),
    ],
  }) as unknown as Element;
}
