/**
 * What `deno task bench` runs: scenarios (a command line against one kind of
 * server, for some scripts) and the cases they make, one row of the table
 * each.
 *
 * @module
 */

import { PRESETS, type ServerOptions } from "../slow_server.ts";
import type { ScriptName } from "../tools/harness.ts";

/** The book's three servers. */
export type ServerLabel = keyof typeof PRESETS;

/** The servers of the book, as `startServer` options; ERROR is seeded so runs replay. */
export const SERVERS: Readonly<Record<ServerLabel, ServerOptions>> = {
  ...PRESETS,
  ERROR: { ...PRESETS.ERROR, seed: 2024 },
};

/** Seconds every DELAY response waits: the unit of the ideal time. */
export const DELAY_SECONDS: number = PRESETS.DELAY.delay;

/** A command line to time, against one kind of server, for some scripts. */
export interface Scenario {
  /** Name for `--scenario`. */
  id: string;
  /** The server the scripts download from. */
  server: ServerLabel;
  /** The scripts' arguments, besides `-s URL`. */
  args: string[];
  /** The scripts timed. */
  scripts: ScriptName[];
  /** The scripts still run by `--quick`. */
  quick: ScriptName[];
}

const ALL_SCRIPTS: ScriptName[] = ["sequential", "threadpool", "asyncio"];
const POOLS: ScriptName[] = ["threadpool", "asyncio"];

/** What the bench runs, in order. */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: "local",
    server: "LOCAL",
    args: ["-e"],
    scripts: ALL_SCRIPTS,
    quick: ALL_SCRIPTS,
  },
  {
    id: "delay-m30",
    server: "DELAY",
    args: ["-e", "-m", "30"],
    scripts: POOLS,
    quick: [],
  },
  {
    id: "delay-m1000",
    server: "DELAY",
    args: ["-e", "-m", "1000"],
    scripts: POOLS,
    quick: POOLS,
  },
  {
    id: "delay-b",
    server: "DELAY",
    args: ["B"],
    scripts: ["sequential"],
    quick: ["sequential"],
  },
  {
    id: "error",
    server: "ERROR",
    args: ["-e"],
    scripts: ALL_SCRIPTS,
    // Sequential and asyncio (5 at a time) take minutes against ERROR.
    quick: ["threadpool"],
  },
];

/** One scenario and one script, or one of the floors: a row of the table. */
export interface Case {
  /** The command line and the server. */
  scenario: Scenario;
  /** What runs it: a script, curl, or the Worker floor (`floor.ts`). */
  script: ScriptName | "curl" | "floor";
}

/** The scenarios that `--scenario` names: an id, or a server label for all of its scenarios. */
export function pickScenarios(names: string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  return SCENARIOS.filter((s) =>
    wanted.has(s.id) || wanted.has(s.server.toLowerCase())
  );
}

/**
 * The rows to run, each floor first: curl joins LOCAL when it is installed;
 * the Worker floor joins each DELAY scenario of `-e` that runs the
 * threadpool.
 */
export function planCases(
  scenarios: Scenario[],
  quick: boolean,
  curl: boolean,
): Case[] {
  return scenarios.flatMap((scenario) => {
    const scripts = quick ? scenario.quick : scenario.scripts;
    const floors: Case["script"][] = [];
    if (curl && scenario.server === "LOCAL") floors.push("curl");
    if (
      scenario.server === "DELAY" && scenario.args.includes("-e") &&
      scripts.includes("threadpool")
    ) floors.push("floor");
    return [...floors, ...scripts].map((script) => ({ scenario, script }));
  });
}

/** The scenario's command line as the table shows it: "DELAY -e -m 30". */
export function scenarioLabel(scenario: Scenario): string {
  return [scenario.server, ...scenario.args].join(" ");
}

/** A case as the progress line and the warnings show it. */
export function label(c: Case): string {
  return `${scenarioLabel(c.scenario)} ${c.script}`;
}
