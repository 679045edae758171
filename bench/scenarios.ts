/**
 * What `deno task bench` runs: scenarios (a command line against one kind of
 * server) and what runs them, our scripts and the baselines they are measured
 * against; a case is one scenario and one runner, a row of the table, and
 * holds its runs.
 *
 * @module
 */

import { expandCcArgs } from "../flags2_common.ts";
import { type FlagServer, PRESETS, startServer } from "../slow_server.ts";
import { repoPath, SCRIPTS } from "../testing/files.ts";
import { denoArgv } from "../testing/process.ts";
import type { FloorReport } from "./floor.ts";
import * as runs from "./runs.ts";

/** What runs a case: its id ("threadpool", "curl", "book-threadpool"...), its name in the table, one run of a scenario. */
export type Runner = {
  id: string;
  label: string;
  run(scenario: Scenario, ctx: runs.RunContext): Promise<runs.Run>;
};

/**
 * What the scripts are measured against: curl, the Worker floor, the book's
 * scripts. Its ratio column ("× curl") holds the median of a row of its
 * scenario over its own: of its own row, and of those `over` names (all of
 * the scenario's when undefined). It joins the scenarios of `scenarios`
 * (all of them when undefined); `note` says what it is, on the page.
 */
export type Baseline = Runner & {
  ratio: { column: string; over?: string[] };
  scenarios?: string[];
  note?: string;
};

/** A row of the table: a scenario, what runs it, its timed runs, and (not for a baseline) the traced run the chart draws. */
export type Case = { scenario: Scenario; runner: Runner; runs: runs.Run[] } & {
  traced?: runs.Run;
};

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

/** The codes of a scenario's arguments, as in the URLs: `-e` or CC arguments. */
async function codesOf(args: string[]): Promise<string[]> {
  const ccArgs = args.filter((arg) => /^[A-Z]{1,2}$/.test(arg));
  const codes = await expandCcArgs(args.includes("-e"), false, ccArgs, 676);
  return codes.map((cc) => cc.toLowerCase());
}

/** Our flags2 scripts, run as a reader runs them, `deno run -A`; the traced run also `-v`, for the pool's line. */
const SCRIPT_RUNNERS = Object.entries(SCRIPTS).map(([id, file]): Runner => ({
  id,
  label: id,
  async run(scenario, ctx) {
    await using server = await serve(scenario);
    const trace = ctx.traced ? ["--trace", "trace.jsonl", "-v"] : [];
    const args = ["-s", server.url, ...scenario.args, ...trace];
    const cmd = denoArgv(["run", repoPath(file), ...args], ["-A"]);
    return await runs.runFlags(cmd, ctx, server.peak);
  },
}));

/** Example 17-4, `flags_threadpool_ac.ts`: 5 flags on 3 Workers, timed whole by the bench, as it prints no flags2 report; it has no `--trace`. */
const EXAMPLE_17_4: Runner = {
  id: "threadpool_ac",
  label: "flags_threadpool_ac.ts",
  async run(scenario, ctx) {
    await using server = await serve(scenario);
    const path = repoPath("flags_threadpool_ac.ts");
    const cmd = denoArgv(["run", path, "-s", server.url], ["-A"]);
    const read = (stdout: string, { seconds }: runs.Measured) => {
      const ok = Number(/^(\d+) flags downloaded in /m.exec(stdout)?.[1]);
      if (Number.isNaN(ok)) throw new Error("no count of flags");
      return { elapsed: seconds, codes: 5, concurrency: 3, ok, ...NONE };
    };
    const plain = { ...ctx, traced: false };
    return await runs.runFlags(cmd, plain, server.peak, { read });
  },
};

const NONE = { notFound: 0, errors: 0 };

/** What runs the scenarios' scripts, by id. */
const RUNNERS: Record<string, Runner> = Object.fromEntries(
  [...SCRIPT_RUNNERS, EXAMPLE_17_4].map((runner) => [runner.id, runner]),
);

export const CURL_PATH = "/usr/bin/curl";
const CURL_PARALLEL = 50;

/** `curl --parallel` over the scenario's URLs: what LOCAL can give at best. */
export const CURL: Baseline = {
  ...{ id: "curl", label: "curl", ratio: { column: "× curl" } },
  scenarios: ["local"],
  note: `curl: \`curl --parallel\` over the same URLs, ${CURL_PARALLEL} at a ` +
    "time: what LOCAL can give at best.",
  async run(scenario, ctx) {
    await using server = await serve(scenario);
    const codes = await codesOf(scenario.args);
    const config = codes.map((cc) =>
      `url = "${server.url}/${cc}/${cc}.gif"\noutput = "/dev/null"\n`
    );
    await Deno.writeTextFile(`${ctx.cwd}/urls.conf`, config.join(""));
    // One status per transfer: 404s are expected, so no --fail.
    const cmd = [CURL_PATH, "--parallel", "--parallel-max", `${CURL_PARALLEL}`];
    cmd.push("--silent", "--write-out", "%{http_code}\\n", "-K", "urls.conf");
    const out = await runs.measure(cmd, ctx);
    const statuses = out.stdout.split("\n").filter((line) => line);
    const count = (code: string) => statuses.filter((s) => s === code).length;
    const [ok, notFound] = [count("200"), count("404")];
    const errors = statuses.length - ok - notFound;
    const report = { elapsed: out.seconds, codes: codes.length, ok, notFound };
    const read = () => ({ ...report, errors, concurrency: CURL_PARALLEL });
    return runs.runOf(out, read, { peak: server.peak() });
  },
};

/** The threadpool's pool with tasks that only sleep (`floor.ts`), at the scenario's `-m`. */
export const FLOOR: Baseline = {
  ...{ id: "floor", label: "Worker floor" },
  ratio: { column: "× floor", over: ["threadpool"] },
  scenarios: ["delay-m30", "delay-m1000"],
  note: "Worker floor: the threadpool's pool running tasks that only sleep " +
    `${PRESETS.DELAY.delay} s, no network (\`bench/floor.ts\`); its server ` +
    "peak: the most tasks running at once.",
  async run(scenario, ctx) {
    const m = scenario.args.indexOf("-m");
    const maxReq = m >= 0 ? scenario.args.slice(m, m + 2) : [];
    const tasks = ["-n", String((await codesOf(scenario.args)).length)];
    const args = ["run", repoPath("bench/floor.ts"), ...maxReq, ...tasks];
    const out = await runs.measure(denoArgv(args, ["-A"]), ctx);
    return runs.runOf(out, (stdout): FloorReport => JSON.parse(stdout), {});
  },
};

/** The baselines, each a row beside the scripts it divides, in its scenarios; curl only where it is installed. */
export const BASELINES: readonly Baseline[] = [CURL, FLOOR];

/**
 * A command line to time against one kind of server: its id for
 * `--scenario`, its `label` in the table, "SERVER ARGS..." ("DELAY -e -m
 * 30": the scripts' arguments besides `-s URL`), the ids of the scripts
 * timed, and of those that `--quick` still runs.
 */
function scenario(
  id: string,
  label: string,
  scripts: string[],
  quick = scripts,
) {
  const [server, ...args] = label.split(" ");
  return { id, label, server: server as Server, args, scripts, quick };
}

export type Scenario = ReturnType<typeof scenario>;
type Server = keyof typeof PRESETS;

const ALL = ["sequential", "threadpool", "asyncio"];
const POOLS = ["threadpool", "asyncio"];

/**
 * What the bench runs, in order: id, command line, scripts, those of
 * `--quick`. Sequential and asyncio (5 at a time) take minutes against
 * ERROR, and asyncio at -m 30 takes as long as the threadpool, so `--quick`
 * runs only the threadpool there.
 */
export const SCENARIOS: readonly Scenario[] = [
  scenario("local", "LOCAL -e", ALL),
  scenario("delay-m30", "DELAY -e -m 30", POOLS, ["threadpool"]),
  scenario("delay-m1000", "DELAY -e -m 1000", POOLS),
  scenario("delay-b", "DELAY B", ["sequential"]),
  scenario("error", "ERROR -e", ALL, ["threadpool"]),
  scenario("example-17-4", "LOCAL", ["threadpool_ac"]),
];

/** What every runner first runs once, so that no timed run pays for transpiling. */
export const WARM_UP: Scenario = scenario("warm-up", "LOCAL BR XX", []);

/** The scenarios that `--scenario` names: an id, or a server label for all of its scenarios. */
export function pickScenarios(names: string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  return SCENARIOS.filter((s) =>
    wanted.has(s.id) || wanted.has(s.server.toLowerCase())
  );
}

/**
 * The cases to run: per scenario, the baselines that join it, its scripts
 * (those of `--quick`), then the book's. A baseline runs only beside a row
 * it divides.
 */
export function planCases(
  scenarios: Scenario[],
  quick: boolean,
  baselines: readonly Baseline[],
  book: Baseline[] = [],
): Case[] {
  return scenarios.flatMap((scenario) => {
    const ids = quick ? scenario.quick : scenario.scripts;
    const runners = [...baselines, ...ids.map((id) => RUNNERS[id]), ...book]
      .filter((runner) =>
        !isBaseline(runner) ||
        (runner.scenarios ?? [scenario.id]).includes(scenario.id) &&
          (runner.ratio.over ?? ids).some((id) => ids.includes(id))
      );
    return runners.map((runner) => ({ scenario, runner, runs: [] }));
  });
}
