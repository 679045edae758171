/**
 * The flags2 command line against CPython's own argparse (`python3`), set up
 * as the book's `flags2_common.py` sets it up (`fixtures/flags2_argparse.py`):
 * for bad command lines and `-h`, standard output, standard error and the
 * exit status, line by line, at several widths, given by `COLUMNS` into a
 * pipe and by a real terminal. Our scripts run with the least permissions,
 * and read `COLUMNS` only when `--allow-env=COLUMNS` grants it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Semaphore } from "npm:async-mutex@0.5.0";
import {
  LEAST_PERMISSIONS,
  repoPath,
  runDeno,
  type ScriptName,
  scriptPath,
  SCRIPTS,
  settleAll,
  tempDir,
} from "../testing/harness.ts";
import { decode, denoArgv } from "../testing/process.ts";
import { runInTerminal } from "../testing/terminal.ts";

const PYTHON_PARSER = repoPath("tests/fixtures/flags2_argparse.py");

/** Command lines that argparse refuses, that the book's checks refuse, and -h. */
const COMMAND_LINES: string[][] = [
  ["-m", "abc"], // argparse: not an int
  ["--max_req=2.5", "BR"],
  ["--lim", "x"], // a prefix, then not an int
  ["-l"], // no value
  ["BR", "-s"],
  ["--bogus", "BR"], // unknown
  ["-x", "y", "BR"],
  ["-m", "0"], // the book's checks
  ["-l", "0", "BR"],
  ["-s", "NOPE"],
  ["BR", "ABC"],
  ["-h"],
];

/** What a run printed, and how it ended. */
interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Python's argparse with `args`, as the book's `script` would run them,
 * with the help in the layout of Python 3.13 and later, which npm argparse
 * (3.14's) has: before 3.13, `-m CONCURRENT, --max_req CONCURRENT`.
 */
function pythonArgv(script: ScriptName, args: string[]): string[] {
  const concurrency = { sequential: 1, threadpool: 30, asyncio: 5 }[
    script as "sequential"
  ];
  return [
    "python3",
    PYTHON_PARSER,
    "--new-help-layout",
    SCRIPTS[script],
    String(concurrency),
    ...args,
  ];
}

/** Both runs into pipes, with `COLUMNS` set to `columns` ("" for none). */
async function piped(
  script: ScriptName,
  args: string[],
  columns: string,
  cwd: string,
): Promise<[Outcome, Outcome]> {
  const [python, ...pythonArgs] = pythonArgv(script, args);
  const out = await new Deno.Command(python, {
    args: pythonArgs,
    stdin: "null",
    env: { COLUMNS: columns },
  }).output();
  const theirs = {
    code: out.code,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
  const ours = await runDeno(scriptPath(script), args, cwd, {
    permissions: [...LEAST_PERMISSIONS, "--allow-env=COLUMNS"],
    env: { COLUMNS: columns },
  });
  return [theirs, ours];
}

/** Both runs in a terminal `columns` wide, standard error apart. */
async function inTerminal(
  script: ScriptName,
  args: string[],
  columns: number,
  cwd: string,
): Promise<[Outcome, Outcome]> {
  const run = async (argv: string[]) => {
    const { code, screen, stderr } = await runInTerminal(argv, {
      columns,
      cwd,
      stderrApart: true,
    });
    return { code, stdout: screen.replaceAll("\r\n", "\n"), stderr };
  };
  const ours = denoArgv(
    ["run", scriptPath(script), ...args],
    ["--no-prompt", ...LEAST_PERMISSIONS],
  );
  return [await run(pythonArgv(script, args)), await run(ours)];
}

Deno.test("usage errors and -h as CPython's argparse prints them for the book's parser, into pipes (COLUMNS) and in terminals", async () => {
  await using dir = await tempDir();
  const slots = new Semaphore(6);
  const runs: [string, () => Promise<[Outcome, Outcome]>][] = [];
  for (const script of ["threadpool", "sequential"] as const) {
    for (const args of COMMAND_LINES) {
      for (const columns of ["", "40", "132"]) {
        runs.push([
          `${SCRIPTS[script]} ${args.join(" ")} COLUMNS=${columns}`,
          () => piped(script, args, columns, dir.path),
        ]);
      }
      for (const columns of [50, 100]) {
        runs.push([
          `${SCRIPTS[script]} ${args.join(" ")} in ${columns} columns`,
          () => inTerminal(script, args, columns, dir.path),
        ]);
      }
    }
  }
  await settleAll(runs.map(([what, run]) =>
    slots.runExclusive(async () => {
      const [theirs, ours] = await run();
      const why = `${what}\n--- Python:\n${theirs.stdout}${theirs.stderr}` +
        `--- ours:\n${ours.stdout}${ours.stderr}`;
      assert.ok(theirs.stdout + theirs.stderr !== "", why);
      assert.equal(ours.code, theirs.code, why);
      assert.deepEqual(ours.stdout.split("\n"), theirs.stdout.split("\n"), why);
      assert.deepEqual(ours.stderr.split("\n"), theirs.stderr.split("\n"), why);
    })
  ));
});
