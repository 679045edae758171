/**
 * `deno task bench`: times the three flag downloaders against in-process
 * LOCAL, DELAY and ERROR servers, as a reader would run them, and prints a
 * Markdown table ready for README.md; writes the results as JSON and a chart
 * of downloads completed over time as SVG.
 *
 * ```sh
 * deno task bench                            # every scenario, 3 runs each
 * deno task bench --quick                    # 1 run of a subset
 * deno task bench --scenario delay-m30 --repeat 5
 * ```
 *
 * Each run gets a fresh server (its peak of requests held at once counts
 * from its start) and a fresh temporary working directory (on the tmpfs
 * `/dev/shm` when there is one, see `--workdir`), where the script writes
 * `downloads/`. The timed runs are plain, and go in rounds: each
 * script of a scenario once a round. One more run of each script, with
 * `--trace`, draws its line of the chart and is checked like the others.
 *
 * Ctrl-C stops the run under way (its script and every process that script
 * started), its server and its folder, and exits with status 130.
 *
 * @module
 */

import { Command, InvalidArgumentError, Option } from "commander";
import { listenForCtrlC } from "../lib/interrupt.ts";
import { isFile, isFolder } from "../tools/harness.ts";
import { chartPanels, renderChart } from "./chart.ts";
import { type CpuRow, cpuTable, runCpu, SCALE } from "./cpu.ts";
import { describeMemory, type MemoryMethod, memoryMethod } from "./memory.ts";
import { CURL, type Run, runOnce, type Setup, warmUp } from "./runs.ts";
import {
  type Case,
  label,
  pickScenarios,
  planCases,
  type Scenario,
  SCENARIOS,
} from "./scenarios.ts";
import {
  addFloorRatios,
  machine,
  markdownTable,
  preamble,
  summarize,
} from "./table.ts";

/** A tmpfs on most Linux machines: where the runs work when it is there. */
const SHM = "/dev/shm";

/** The options of the command line. */
interface Options {
  scenario: string[];
  repeat?: number;
  quick?: boolean;
  json: string;
  svg: string;
  memory?: MemoryMethod;
  workdir?: string;
}

/**
 * `/dev/shm` when it is there. On this project's VM, back-to-back runs slow
 * each other's writes to disk: 194 flags took about 10 ms to create on a quiet
 * disk, 40-70 ms during a bench. On a tmpfs every run writes alike.
 */
async function defaultWorkdir(): Promise<string | undefined> {
  return await isFolder(SHM) ? SHM : undefined;
}

/** A line on standard error saying where the bench is. */
function progress(text: string): void {
  const line = Deno.stderr.isTerminal() ? `\r\x1b[2K${text}` : `${text}\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(line));
}

/** A line on standard error that stays, over the progress line if any. */
function warn(text: string): void {
  console.error(Deno.stderr.isTerminal() ? `\r\x1b[2K${text}` : text);
}

/** Runs a case once, showing `what` as progress and warning of its problems. */
async function runReported(
  c: Case,
  setup: Setup,
  signal: AbortSignal,
  what: string,
  traced = false,
): Promise<Run> {
  progress(what);
  const run = await runOnce(c, setup, signal, traced);
  for (const problem of run.problems) warn(`*** ${what}: ${problem}`);
  return run;
}

/** Writes `text` to `path`, making its folder first. */
async function writeOut(path: string, text: string): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  if (dir) await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, text);
}

/** Parses the command line. */
function parseOptions(args: string[]): Options {
  const positive = (text: string) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1) {
      throw new InvalidArgumentError("must be an integer >= 1");
    }
    return n;
  };
  const names = SCENARIOS.map((s) => s.id).join(", ");
  return new Command()
    .name("bench/main.ts")
    .description("Time the three flag downloaders against LOCAL, DELAY, ERROR.")
    .option(
      "--scenario <NAME>",
      `run only this scenario (repeatable): ${names}, or local, delay, ` +
        "error, or cpu",
      (name: string, names: string[]) => [...names, name],
      [],
    )
    .option("--repeat <N>", "runs per row (default 3)", positive)
    .option("--quick", "one run of a quick subset")
    .addOption(
      new Option(
        "--memory <METHOD>",
        "peak memory from /usr/bin/time (time) or polled VmHWM (proc)",
      )
        .choices(["time", "proc"]),
    )
    .option(
      "--workdir <DIR>",
      `where the runs' temporary folders go (default: ${SHM} if there, ` +
        "else the system's temp folder)",
    )
    .option("--json <FILE>", "results as JSON", "bench-results/bench.json")
    .option("--svg <FILE>", "chart as SVG", "bench-results/bench.svg")
    .parse(args, { from: "user" })
    .opts<Options>();
}

/** Every run of the cases: the timed ones per case, and the traced one (none for the floors). */
interface Runs {
  results: Run[][];
  traced: (Run | undefined)[];
}

/** Warms the scripts up, then runs every case `repeat` times in rounds and once traced. */
async function runAll(
  scenarios: Scenario[],
  cases: Case[],
  repeat: number,
  setup: Setup,
  signal: AbortSignal,
): Promise<Runs> {
  progress("warming up: one short run of each script");
  await warmUp(cases.map((c) => c.script), setup.workdir, signal);
  const results: Run[][] = cases.map(() => []);
  // In rounds: each case of a scenario once a round, so that a slow spell of
  // the machine weighs on all of them alike and their ratios hold.
  for (const scenario of scenarios) {
    const mine = [...cases.keys()].filter((i) =>
      cases[i].scenario === scenario
    );
    for (let r = 1; r <= repeat; r++) {
      for (const i of mine) {
        const what = `[${i + 1}/${cases.length}] ${label(cases[i])} run ${r}`;
        results[i].push(await runReported(cases[i], setup, signal, what));
      }
    }
  }
  const traced: (Run | undefined)[] = [];
  for (const [i, c] of cases.entries()) {
    const what = `[${i + 1}/${cases.length}] ${label(c)} traced run`;
    traced.push(
      c.script === "curl" || c.script === "floor"
        ? undefined
        : await runReported(c, setup, signal, what, true),
    );
  }
  warn("all runs done");
  return { results, traced };
}

/** Runs the bench. */
async function main(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const scenarios = pickScenarios(options.scenario);
  // The CPU-bound scripts: with every scenario, or when named.
  const cpu = options.scenario.length === 0 ||
    options.scenario.some((name) => name.toLowerCase() === "cpu");
  if (scenarios.length === 0 && !cpu) {
    console.error(`*** No scenario named ${options.scenario.join(", ")}`);
    Deno.exit(2);
  }
  if (options.workdir && !(await isFolder(options.workdir))) {
    console.error(`*** --workdir ${options.workdir}: no such folder`);
    Deno.exit(2);
  }
  // --quick picks its subset only when no scenario is named.
  const quick = (options.quick ?? false) && options.scenario.length === 0;
  const repeat = options.repeat ?? (options.quick ? 1 : 3);
  const cases = planCases(scenarios, quick, await isFile(CURL));
  const setup: Setup = {
    method: options.memory ?? await memoryMethod(),
    workdir: options.workdir ?? await defaultWorkdir(),
  };
  const date = new Date();

  const interrupted = listenForCtrlC();
  let runs: Runs;
  let cpuRows: CpuRow[] = [];
  try {
    runs = await runAll(scenarios, cases, repeat, setup, interrupted);
    if (cpu) {
      cpuRows = await runCpu({
        ...setup,
        repeat,
        scales: quick ? [1] : [1, SCALE],
        signal: interrupted,
        progress,
      });
    }
  } catch (exc) {
    if (!interrupted.aborted) throw exc;
    // The runs' `finally` and `await using` blocks have cleaned up by now.
    warn("*** Interrupted: runs stopped, servers and folders removed.");
    Deno.exit(130);
  }
  const { results, traced } = runs;
  const rows = cases.map((c, i) => summarize(c, results[i], traced[i]));
  addFloorRatios(rows);
  const info = await machine();
  console.log(preamble(date, info, repeat, setup));
  if (rows.length) console.log(markdownTable(rows));
  if (cpu) console.log(`\n${cpuTable(cpuRows, repeat)}`);

  await writeOut(
    options.json,
    JSON.stringify(
      {
        date: date.toISOString(),
        machine: info,
        repeat,
        memory: describeMemory(setup.method),
        workdir: setup.workdir ?? null,
        rows,
        cpu: cpuRows,
      },
      null,
      2,
    ) + "\n",
  );
  console.error(`\nResults: ${options.json}`);
  if (rows.length) { // none when only cpu ran
    const title = "flags2: downloads completed over time (traced runs), " +
      date.toISOString().slice(0, 10);
    await writeOut(
      options.svg,
      renderChart(title, chartPanels(rows, cases, traced)),
    );
    console.error(`Chart:   ${options.svg}`);
  }
  const bad = [...rows, ...cpuRows].filter((row) => row.problems.length);
  if (bad.length) {
    console.error(`*** ${bad.length} row(s) did not add up: see "check".`);
  }
  Deno.exit(interrupted.aborted ? 130 : bad.length ? 1 : 0);
}

if (import.meta.main) {
  await main(Deno.args);
}
