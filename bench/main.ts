/**
 * `deno task bench`: times the three flag downloaders against in-process
 * LOCAL, DELAY and ERROR servers, as a reader would run them, beside curl
 * and (with `--book`) the book's own scripts, and the CPU-bound scripts;
 * writes the page of the run, `docs/benchmark.md` (also printed), its chart
 * of downloads over time, `docs/bench.svg`, and the results as JSON.
 *
 * ```sh
 * deno task bench                            # every scenario, 3 runs each
 * deno task bench --quick                    # 1 run of a subset
 * deno task bench --scenario delay-m30 --scenario error --quick --repeat 3
 * deno task bench --book ../example-code/17-futures/countries
 * ```
 *
 * Each run gets a fresh server and a fresh folder. Ctrl-C stops the run
 * under way (its script and every process under it), its server and its
 * folder, and exits with status 130.
 *
 * @module
 */

import { dirname, relative } from "node:path";
import { argumentParser, positiveInt } from "../lib/cli.ts";
import { listenForCtrlC } from "../lib/interrupt.ts";
import { isFile } from "../testing/files.ts";
import { BookError, loadBook } from "./book.ts";
import { chartPanels, renderChart } from "./chart.ts";
import { CPU_SCRIPTS, type CpuRow, cpuTable, runCpu, SCALE } from "./cpu.ts";
import {
  FUTURES_ROWS,
  type FuturesResult,
  futuresTable,
  runFutures,
} from "./futures.ts";
import { benchmarkPage, machine, summarize } from "./page.ts";
import { inRounds, runOnce, versionOf, warn } from "./runs.ts";
import {
  type Case,
  CURL,
  CURL_PATH,
  isBaseline,
  pickScenarios,
  planCases,
  SCENARIOS,
  WARM_UP,
} from "./scenarios.ts";

type Options = { scenario?: string[]; repeat?: number; quick: boolean } & {
  book?: string;
  python: string;
} & { json: string; svg: string; md: string };

/** Parses the command line as the scripts do; a usage error exits 2. */
async function parseOptions(args: string[]): Promise<Options> {
  const names = SCENARIOS.map((s) => s.id);
  const parser = await argumentParser({
    prog: "bench/main.ts",
    description: "Time the three flag downloaders against LOCAL, DELAY, ERROR.",
  });
  parser.add_argument("--scenario", {
    metavar: "NAME",
    action: "append",
    type: (name: string) => name.toLowerCase(),
    choices: [...new Set([...names, "delay", "error", "cpu", "futures"])],
    help: `run only this scenario (repeatable): ${names.join(", ")}, or ` +
      "local, delay, error, cpu, or futures (futures.ts beside CPython's " +
      "concurrent.futures)",
  });
  parser.add_argument("--repeat", {
    metavar: "N",
    type: positiveInt,
    help: "runs per row (default 3)",
  });
  parser.add_argument("--quick", {
    action: "store_true",
    help: "one run of each scenario's quick subset",
  });
  parser.add_argument("--book", {
    metavar: "DIR",
    help: "also run the book's flags2 scripts of DIR (17-futures/countries " +
      "or 20-executors/getflags of a checkout, or a copy), and its CPU " +
      "scripts beside it (binds the edition's fixed ports while they run)",
  });
  parser.add_argument("--python", {
    metavar: "PATH",
    default: "python3",
    help: "the Python of --book (default: %(default)s)",
  });
  for (
    const [flag, file, what] of [
      ["--json", "bench-results/bench.json", "results as JSON"],
      ["--svg", "docs/bench.svg", "chart as SVG"],
      ["--md", "docs/benchmark.md", "the page of the run"],
    ]
  ) {
    const help = `${what} (default: %(default)s)`;
    parser.add_argument(flag, { metavar: "FILE", default: file, help });
  }
  return parser.parse_args<Options>(args);
}

/**
 * Runs every case `repeat` times in rounds (each row once a round, so that a
 * slow spell of the machine weighs on all alike), then each script once with
 * `--trace` for the chart. Each runner first runs once on two codes, so that
 * no timed run pays for transpiling; a baseline that fails it is left out.
 *
 * @returns the cases left
 * @throws {Error} when one of our scripts fails its warm-up
 */
async function runAll(cases: Case[], repeat: number, signal: AbortSignal) {
  const run = async (c: Case, what: string, traced?: boolean) => {
    const n = `[${cases.indexOf(c) + 1}/${cases.length}]`;
    what = `${n} ${c.scenario.label} ${c.runner.label} ${what}`;
    const result = await runOnce(
      what,
      { signal, traced },
      c.runner,
      c.scenario,
    );
    for (const problem of result.problems) warn(`*** ${what}: ${problem}`);
    return result;
  };
  const left = await inRounds(cases, repeat, {
    of: (c) => c.runner,
    async warmUp(runner) {
      const what = `warming up: ${runner.label}`;
      const { problems } = await runOnce(what, { signal }, runner, WARM_UP);
      const why = problems.join("; ");
      if (why && !isBaseline(runner)) throw new Error(`${what}: ${why}`);
      return why;
    },
    run: async (c, r) => void c.runs.push(await run(c, `run ${r}`)),
  });
  for (const c of left.filter((c) => !isBaseline(c.runner))) {
    c.traced = await run(c, "traced run", true);
  }
  warn("all runs done");
  return left;
}

async function writeOut(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
}

async function main(args: string[]): Promise<void> {
  const options = await parseOptions(args);
  const named = options.scenario ?? [];
  const scenarios = pickScenarios(named);
  // The CPU-bound scripts: with every scenario, or when named.
  const cpu = named.length === 0 || named.includes("cpu");
  const futures = named.length === 0 || named.includes("futures");
  const { quick } = options;
  const repeat = options.repeat ?? (quick ? 1 : 3);
  const book = await loadBook(options.book, options.python).catch((exc) => {
    if (!(exc instanceof BookError)) throw exc;
    warn(`*** ${exc.message}`); // at once, not after a run without them
    Deno.exit(2);
  });
  const curl = (await isFile(CURL_PATH)) ? [CURL] : [];
  let cases = planCases(scenarios, quick, curl, book.flags);
  const interrupted = listenForCtrlC();
  const date = new Date();
  let cpuRows: CpuRow[] = [];
  let futuresRows: FuturesResult[] = [];
  try {
    cases = await runAll(cases, repeat, interrupted);
    if (cpu) {
      const scales = quick ? [1] : [1, SCALE];
      const scripts = [...CPU_SCRIPTS, ...book.cpu];
      cpuRows = await runCpu(scripts, repeat, scales, interrupted);
    }
    if (futures) {
      const python = (await versionOf([options.python, "--version"]))
        ? options.python
        : undefined;
      if (!python) warn(`*** ${options.python} not found: no CPython column`);
      futuresRows = await runFutures(
        FUTURES_ROWS,
        repeat,
        python,
        interrupted,
      );
    }
  } catch (exc) {
    if (!interrupted.aborted) throw exc;
    // The runs' `finally` and `await using` blocks have cleaned up by now.
    warn("*** Interrupted: runs stopped, servers and folders removed.");
    Deno.exit(130);
  }
  const rows = cases.map((c) => summarize(c, cases));
  const used = [...new Set(cases.map((c) => c.runner).filter(isBaseline))];
  const columns = [...new Set(used.map((b) => b.ratio.column))];
  const panels = chartPanels(cases);
  const page = benchmarkPage({
    command: ["deno task bench", ...args].join(" "),
    ...{ date, machine: await machine(options.python), repeat },
    notes: [...new Set(used.flatMap((b) => b.note ?? []))].concat(book.notes),
    rows,
    columns,
    chart: panels.length ? relative(dirname(options.md), options.svg) : "",
    cpu: cpu ? cpuTable(cpuRows, repeat) : undefined,
    futures: futures ? futuresTable(futuresRows, repeat) : undefined,
  });
  console.log(page);
  await writeOut(options.md, page);
  const results = {
    ...{ date: date.toISOString(), repeat, rows, cpu: cpuRows },
    futures: futuresRows,
  };
  await writeOut(options.json, JSON.stringify(results, null, 2) + "\n");
  console.error(`\nPage:    ${options.md}\nResults: ${options.json}`);
  if (panels.length) { // none when only cpu ran
    const title = "flags2: downloads completed over time (traced runs), " +
      date.toISOString().slice(0, 10);
    await writeOut(options.svg, renderChart(title, panels));
    console.error(`Chart:   ${options.svg}`);
  }
  const bad = [...rows, ...cpuRows, ...futuresRows]
    .filter((row) => row.problems.length);
  if (bad.length) {
    console.error(`*** ${bad.length} row(s) did not add up: see "check".`);
  }
  Deno.exit(interrupted.aborted ? 130 : bad.length ? 1 : 0);
}

if (import.meta.main) {
  await main(Deno.args);
}
