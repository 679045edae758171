/**
 * What `deno task bench` runs: scenarios (a command line against one kind of
 * server) and what runs them, our scripts and the baselines they are measured
 * against; a case is one scenario and one runner, a row of the table, and
 * holds its runs.
 *
 * @module
 */

import { type FlagServer, PRESETS, startServer } from "../slow_server.ts";
import {
  repoPath,
  SCRIPT_NAMES,
  type ScriptName,
  scriptPath,
} from "../tools/files.ts";
import { denoArgv } from "../tools/process.ts";
import type { FloorReport } from "./floor.ts";
import { measure, type Run, type RunContext, runFlags, runOf } from "./runs.ts";

/** What runs a case: its id ("threadpool", "curl", "book-threadpool"...), its name in the table, one run of a scenario. */
export interface Runner {
  id: string;
  label: string;
  run(scenario: Scenario, ctx: RunContext): Promise<Run>;
}

/**
 * What the scripts are measured against: curl, the Worker floor, the book's
 * scripts. Its ratio column ("× curl") holds the median of a row of its
 * scenario over its own: of its own row, and of those `over` names (all of
 * the scenario's when undefined).
 */
export interface Baseline extends Runner {
  ratio: { column: string; over?: string[] };
}

/** A row of the table: a scenario, what runs it, its timed runs, and (not for a baseline) the traced run the chart draws. */
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

/** A fresh server of `scenario`'s kind, quiet on 127.0.0.1 (a free port by default); ERROR seeded, so that runs replay. */
export function serve(scenario: Scenario, port = 0): Promise<FlagServer> {
  const seed = scenario.server === "ERROR" ? { seed: 2024 } : {};
  const where = { port, hostname: "127.0.0.1", quiet: true };
  return startServer({ ...PRESETS[scenario.server], ...seed, ...where });
}

const AZ = [..."abcdefghijklmnopqrstuvwxyz"];

/** The codes of a scenario's arguments, as in the URLs: `-e` or CC arguments. */
function codesOf(args: string[]): string[] {
  if (args.includes("-e")) return AZ.flatMap((a) => AZ.map((b) => a + b));
  return args.filter((arg) => /^[A-Z]{1,2}$/.test(arg)).flatMap((cc) =>
    cc.length === 1 ? AZ.map((b) => cc.toLowerCase() + b) : [cc.toLowerCase()]
  );
}

/** Our scripts, run as a reader runs them: `deno run -A`. */
const SCRIPT_RUNNERS = Object.fromEntries(SCRIPT_NAMES.map((script) => [
  script,
  {
    id: script,
    label: script,
    async run(scenario: Scenario, ctx: RunContext) {
      await using server = await serve(scenario);
      const trace = ctx.traced ? ["--trace", "trace.jsonl"] : [];
      const args = ["-s", server.url, ...scenario.args, ...trace];
      const cmd = denoArgv(["run", scriptPath(script), ...args], ["-A"]);
      return await runFlags(cmd, ctx, server.peak);
    },
  },
])) as Record<ScriptName, Runner>;

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
    const args = ["run", repoPath("bench/floor.ts"), ...maxReq, ...tasks];
    const out = await measure(denoArgv(args, ["-A"]), ctx);
    return runOf(out, (stdout): FloorReport => JSON.parse(stdout), {});
  },
};

/**
 * A command line to time against one kind of server: its id for
 * `--scenario`, its `label` in the table, "SERVER ARGS..." ("DELAY -e -m
 * 30": the scripts' arguments besides `-s URL`), the scripts timed, those
 * that `--quick` still runs, the ids of the baselines beside them.
 */
function scenario(
  id: string,
  label: string,
  scripts: ScriptName[],
  quick: ScriptName[],
  baselines: string[] = [],
) {
  const [server, ...args] = label.split(" ") as [
    keyof typeof PRESETS,
    ...string[],
  ];
  return { id, label, server, args, scripts, quick, baselines };
}

export type Scenario = ReturnType<typeof scenario>;

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
 * The cases to run: per scenario, the baselines it lists that can run here,
 * its scripts (those of `--quick`), then the book's. A baseline runs only
 * beside a row it divides.
 */
export function planCases(
  scenarios: Scenario[],
  quick: boolean,
  baselines: Baseline[],
  book: Baseline[] = [],
): Case[] {
  return scenarios.flatMap((scenario) => {
    const ids = quick ? scenario.quick : scenario.scripts;
    const listed = baselines.filter((b) => scenario.baselines.includes(b.id));
    const runners = [...listed, ...ids.map((id) => SCRIPT_RUNNERS[id]), ...book]
      .filter((runner) =>
        !isBaseline(runner) ||
        (runner.ratio.over ?? ids).some((id) => (ids as string[]).includes(id))
      );
    return runners.map((runner) => ({ scenario, runner, runs: [] }));
  });
}
