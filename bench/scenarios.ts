/**
 * What `deno task bench` runs: scenarios (a command line against one kind of
 * server) and what runs them, our scripts and the baselines they are measured
 * against; a case is one scenario and one runner, a row of the table.
 *
 * @module
 */

import { expandCcArgs } from "../flags2_common.ts";
import { type FlagServer, PRESETS, startServer } from "../slow_server.ts";
import { repoPath, SCRIPTS } from "../testing/files.ts";
import { denoArgv } from "../testing/process.ts";
import * as runs from "./runs.ts";

/** What runs a case: its id ("threadpool", "curl", "book-threadpool"...), its name in the table, one run of a scenario. */
export type Runner = {
  id: string;
  label: string;
  run(scenario: Scenario, ctx: runs.RunContext): Promise<runs.Run>;
};

/** What the scripts are measured against, curl or the book's: its `ratio` column holds the medians of its own row and of those `over` names (all when undefined) over its own, in its `scenarios` (all when undefined); its `note` goes on the page. */
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

/**
 * Our script `file`, run as a reader runs it against a fresh server, with
 * the scenario's arguments; the traced run adds `--trace` and `-v` (for the
 * pool's line). With `read`, Example 17-4: no arguments, no report.
 */
function ours(id: string, file: string, read?: runs.ReadReport): Runner {
  return {
    ...{ id, label: read ? file : id },
    async run(scenario, ctx) {
      await using server = await serve(scenario);
      const traced = ctx.traced && !read;
      const trace = traced ? ["--trace", "trace.jsonl", "-v"] : [];
      const args = ["run", repoPath(file), "-s", server.url];
      if (!read) args.push(...scenario.args, ...trace);
      const cmd = denoArgv(args, ["-A"]);
      const context = { ...ctx, traced };
      return await runs.runFlags(cmd, context, server.peak, { read });
    },
  };
}

/** Example 17-4's report: 5 flags on 3 Workers, timed whole by the bench. */
function readExample(stdout: string, { seconds }: runs.Measured) {
  const ok = Number(/^(\d+) flags downloaded in /m.exec(stdout)?.[1]);
  if (Number.isNaN(ok)) throw new Error("no count of flags");
  return { elapsed: seconds, codes: 5, concurrency: 3, ok, ...NONE };
}

const NONE = { notFound: 0, errors: 0 };

/** What runs the scenarios' scripts, by id. */
const RUNNERS: Record<string, Runner> = Object.fromEntries(
  [
    ...Object.entries(SCRIPTS).map(([id, file]) => ours(id, file)),
    ours("threadpool_ac", "flags_threadpool_ac.ts", readExample),
  ].map((runner) => [runner.id, runner]),
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
    const ccArgs = scenario.args.filter((arg) => /^[A-Z]{1,2}$/.test(arg));
    const all = scenario.args.includes("-e");
    const codes = (await expandCcArgs(all, false, ccArgs, 676))
      .map((cc) => cc.toLowerCase());
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

/** A command line to time, "SERVER ARGS..." (the scripts' arguments besides `-s URL`), with its id, the scripts it times and those `--quick` runs. */
function scenario(
  id: string,
  label: string,
  scripts: string[],
  quick = scripts,
) {
  const [server, ...args] = label.split(" ");
  return {
    id,
    label,
    server: server as keyof typeof PRESETS,
    args,
    scripts,
    quick,
  };
}

export type Scenario = ReturnType<typeof scenario>;

const ALL = ["sequential", "threadpool", "asyncio"];
const POOLS = ["threadpool", "asyncio"];

/** What the bench runs, in order; `--quick` runs only the threadpool where the others take minutes (ERROR) or as long (-m 30). */
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

/** The cases to run: per scenario, the baselines `before`, its scripts (those of `--quick`), the baselines `after`; a baseline only beside a row it divides. */
export function planCases(
  scenarios: Scenario[],
  quick: boolean,
  before: Baseline[],
  after: Baseline[] = [],
): Case[] {
  return scenarios.flatMap((scenario) => {
    const ids = quick ? scenario.quick : scenario.scripts;
    const joins = (b: Baseline) =>
      (b.scenarios ?? [scenario.id]).includes(scenario.id) &&
      (b.ratio.over ?? ids).some((id) => ids.includes(id));
    const runners = [
      ...before.filter(joins),
      ...ids.map((id) => RUNNERS[id]),
      ...after.filter(joins),
    ];
    return runners.map((runner) => ({ scenario, runner, runs: [] }));
  });
}
