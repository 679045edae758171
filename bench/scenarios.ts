/**
 * What `deno task bench` runs: scenarios (a command line against one kind of
 * server) and what runs them, our scripts and the baselines they are measured
 * against; a case is one scenario and one runner, a row of the table, and
 * holds its runs.
 *
 * @module
 */

import {
  type FlagServer,
  PRESETS,
  type ServerOptions,
  startServer,
} from "../slow_server.ts";
import {
  repoPath,
  SCRIPT_NAMES,
  type ScriptName,
  scriptPath,
} from "../tools/files.ts";
import { denoArgv } from "../tools/process.ts";
import type { FloorReport } from "./floor.ts";
import { measure, type Run, type RunContext, runFlags, runOf } from "./runs.ts";

/** The book's three servers. */
export type ServerLabel = keyof typeof PRESETS;

/** The servers, quiet on loopback; ERROR is seeded so that runs replay. */
const SERVERS: Readonly<Record<ServerLabel, ServerOptions>> = {
  LOCAL: PRESETS.LOCAL,
  DELAY: PRESETS.DELAY,
  ERROR: { ...PRESETS.ERROR, seed: 2024 },
};

/** Seconds every DELAY response waits: the unit of the ideal time. */
export const DELAY_SECONDS: number = PRESETS.DELAY.delay;

/**
 * A command line to time against one kind of server: its name for
 * `--scenario`, the scripts' arguments besides `-s URL`, the scripts timed,
 * those that `--quick` still runs, the ids of the baselines beside them.
 */
export interface Scenario {
  id: string;
  server: ServerLabel;
  args: string[];
  scripts: ScriptName[];
  quick: ScriptName[];
  baselines: string[];
}

/**
 * What runs a case, one of our scripts or a baseline: its id (a script's
 * name, "curl", "floor", "book-threadpool"...), its name in the table, and
 * one run of a scenario, with a server of its own (the floor needs none).
 */
export interface Runner {
  id: string;
  label: string;
  run(scenario: Scenario, ctx: RunContext): Promise<Run>;
}

/**
 * What the scripts are measured against: curl, the Worker floor, the
 * book's scripts. Its ratio column ("× curl") holds the median of a row of
 * its scenario over its own: of its own row, and of those `over` names (all
 * of the scenario's when undefined).
 */
export interface Baseline extends Runner {
  ratio: { column: string; over?: string[] };
}

/** One scenario and what runs it: a row of the table, with its timed runs and (not for a baseline) the traced run the chart draws. */
export interface Case {
  scenario: Scenario;
  runner: Runner | Baseline;
  runs: Run[];
  traced?: Run;
}

/** Whether `runner` is a baseline, not one of our scripts. */
export function isBaseline(runner: Runner | Baseline): runner is Baseline {
  return "ratio" in runner;
}

/** A fresh server of `scenario`'s kind, quiet on 127.0.0.1, on a free port by default. */
export function serve(scenario: Scenario, port = 0): Promise<FlagServer> {
  const where = { port, hostname: "127.0.0.1", quiet: true };
  return startServer({ ...SERVERS[scenario.server], ...where });
}

const AZ = [..."abcdefghijklmnopqrstuvwxyz"];

/** The codes of a scenario's arguments, as in the URLs: `-e` or CC arguments. */
function codesOf(args: string[]): string[] {
  if (args.includes("-e")) return AZ.flatMap((a) => AZ.map((b) => a + b));
  return args.filter((arg) => /^[A-Z]{1,2}$/.test(arg)).flatMap((cc) =>
    cc.length === 1 ? AZ.map((b) => cc.toLowerCase() + b) : [cc.toLowerCase()]
  );
}

/** One of our scripts, run as a reader runs it: `deno run -A`. */
function scriptRunner(script: ScriptName): Runner {
  return {
    id: script,
    label: script,
    async run(scenario, ctx) {
      await using server = await serve(scenario);
      const trace = ctx.traced ? ["--trace", "trace.jsonl"] : [];
      const args = ["-s", server.url, ...scenario.args, ...trace];
      const cmd = denoArgv(["run", scriptPath(script), ...args], ["-A"]);
      return await runFlags(cmd, ctx, server.peak);
    },
  };
}

/** Our scripts, by name. */
const SCRIPT_RUNNERS = Object.fromEntries(
  SCRIPT_NAMES.map((script) => [script, scriptRunner(script)]),
) as Record<ScriptName, Runner>;

/** Where the LOCAL rows' floor is. */
export const CURL_PATH = "/usr/bin/curl";
const CURL_PARALLEL = 50;

/** `curl --parallel` over the scenario's URLs: what LOCAL can give at best. */
export const CURL: Baseline = {
  id: "curl",
  label: "curl",
  ratio: { column: "× curl" },
  async run(scenario, ctx) {
    await using server = await serve(scenario);
    const codes = codesOf(scenario.args);
    const config = codes.map((cc) =>
      `url = "${server.url}/${cc}/${cc}.gif"\noutput = "/dev/null"\n`
    );
    await Deno.writeTextFile(`${ctx.cwd}/urls.conf`, config.join(""));
    // One status per transfer: 404s are expected, so no --fail.
    const cmd = [CURL_PATH, "--parallel", "--parallel-max", `${CURL_PARALLEL}`];
    cmd.push("--silent", "--write-out", "%{http_code}\\n", "-K", "urls.conf");
    const t0 = performance.now();
    const out = await measure(cmd, ctx);
    const elapsed = (performance.now() - t0) / 1000;
    const statuses = out.stdout.split("\n").filter((line) => line);
    const ok = statuses.filter((s) => s === "200").length;
    const notFound = statuses.filter((s) => s === "404").length;
    const errors = statuses.length - ok - notFound;
    const concurrency = CURL_PARALLEL;
    const report = { elapsed, codes: codes.length, concurrency, ok, notFound };
    return runOf(out, () => ({ ...report, errors }), { peak: server.peak() });
  },
};

/** The threadpool's pool with tasks that only sleep (`floor.ts`), at the scenario's `-m`. */
export const FLOOR: Baseline = {
  id: "floor",
  label: "Worker floor",
  ratio: { column: "× floor", over: ["threadpool"] },
  async run(scenario, ctx) {
    const m = scenario.args.indexOf("-m");
    const maxReq = m >= 0 ? scenario.args.slice(m, m + 2) : [];
    const tasks = ["-n", String(codesOf(scenario.args).length)];
    const file = repoPath("bench/floor.ts");
    const out = await measure(
      denoArgv(["run", file, ...maxReq, ...tasks], ["-A"]),
      ctx,
    );
    return runOf(out, (stdout): FloorReport => JSON.parse(stdout), {});
  },
};

/** A scenario of `command`, the table's "SERVER ARGS...". */
function scenario(
  id: string,
  command: string,
  scripts: ScriptName[],
  quick: ScriptName[],
  baselines: string[] = [],
): Scenario {
  const [server, ...args] = command.split(" ");
  return { id, server: server as ServerLabel, args, scripts, quick, baselines };
}

const ALL: ScriptName[] = ["sequential", "threadpool", "asyncio"];
const POOLS: ScriptName[] = ["threadpool", "asyncio"];

/**
 * What the bench runs, in order: id, command line, scripts, those of
 * `--quick`, baselines. Sequential and asyncio (5 at a time) take minutes
 * against ERROR, so `--quick` runs only the threadpool there.
 */
export const SCENARIOS: readonly Scenario[] = [
  scenario("local", "LOCAL -e", ALL, ALL, ["curl"]),
  scenario("delay-m30", "DELAY -e -m 30", POOLS, [], ["floor"]),
  scenario("delay-m1000", "DELAY -e -m 1000", POOLS, POOLS, ["floor"]),
  scenario("delay-b", "DELAY B", ["sequential"], ["sequential"]),
  scenario("error", "ERROR -e", ALL, ["threadpool"]),
];

/** What every runner first runs once, so that no timed run pays for transpiling. */
export const WARM_UP: Scenario = scenario("warm-up", "LOCAL BR XX", [], []);

/** The scenarios that `--scenario` names: an id, or a server label for all of its scenarios. */
export function pickScenarios(names: string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  return SCENARIOS.filter((s) =>
    wanted.has(s.id) || wanted.has(s.server.toLowerCase())
  );
}

/**
 * The cases to run: per scenario, its baselines, its scripts, then the
 * book's. A baseline runs only beside a row it divides.
 *
 * @param scenarios what to run
 * @param quick whether to run only the scripts of `--quick`
 * @param baselines those that can run here, listed by the scenarios
 * @param book the book's scripts, beside ours in every scenario
 * @returns the cases, with no runs yet
 */
export function planCases(
  scenarios: Scenario[],
  quick: boolean,
  baselines: Baseline[],
  book: Baseline[] = [],
): Case[] {
  return scenarios.flatMap((scenario) => {
    const scripts = (quick ? scenario.quick : scenario.scripts)
      .map((script) => SCRIPT_RUNNERS[script]);
    const ids = scripts.map((script) => script.id);
    const listed = baselines.filter((b) => scenario.baselines.includes(b.id));
    const runners = [...listed, ...scripts, ...book].filter((runner) =>
      !isBaseline(runner) ||
      (runner.ratio.over ?? ids).some((id) => ids.includes(id))
    );
    return runners.map((runner) => ({ scenario, runner, runs: [] }));
  });
}

/** A case as the progress line and the warnings show it: "DELAY -e -m 30 threadpool". */
export function label({ scenario, runner }: Case): string {
  return `${scenarioLabel(scenario)} ${runner.label}`;
}

/** The scenario's command line as the table shows it: "DELAY -e -m 30". */
export function scenarioLabel(scenario: Scenario): string {
  return [scenario.server, ...scenario.args].join(" ");
}
