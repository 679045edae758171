/**
 * Tests of lib/cli.ts: argparse's prefixes, types, choices and help, in
 * this process; its usage errors and `-h`, which exit, in a flags2 script
 * run with no permission at all (no `--allow-env` either).
 *
 * @module
 */

import assert from "node:assert/strict";
import { argumentParser, int, positiveInt, terminalColumns } from "./cli.ts";
import {
  lines,
  repoPath,
  runDeno,
  type RunResult,
  runSource,
  tempDir,
} from "../testing/harness.ts";

const CLI = new URL("./cli.ts", import.meta.url).href;

/** A parser like the bench's: options that share prefixes, a type, choices. */
async function benchLike() {
  const parser = await argumentParser({ prog: "bench.ts" });
  parser.add_argument("--delay", { metavar: "S", help: "a delay" });
  parser.add_argument("--delay-rate", { metavar: "F", help: "a rate" });
  parser.add_argument("--repeat", {
    metavar: "N",
    type: positiveInt,
    default: 3,
    help: "runs",
  });
  parser.add_argument("--memory", { choices: ["time", "proc"], help: "how" });
  parser.add_argument("-v", "--verbose", { action: "store_true" });
  return parser;
}

Deno.test("a unique prefix of a long option stands for it; an exact name wins over longer ones", async () => {
  const parser = await benchLike();
  assert.deepEqual({ ...parser.parse_args(["--rep", "5", "--verb"]) }, {
    delay: undefined,
    delay_rate: undefined,
    repeat: 5,
    memory: undefined,
    verbose: true,
  });
  assert.equal(parser.parse_args(["--delay", "1"]).delay, "1");
  assert.equal(parser.parse_args(["--delay-r", "0.5"]).delay_rate, "0.5");
  assert.equal(parser.parse_args(["--mem", "proc"]).memory, "proc");
});

Deno.test("int and positiveInt read integers, and are named for argparse's messages", () => {
  assert.equal(int(" +4 "), 4);
  assert.equal(int("-3"), -3);
  assert.equal(int("1_000"), 1000); // as Python's int()
  assert.throws(() => int("1__0"), TypeError);
  assert.throws(() => int(""), TypeError);
  assert.throws(() => int("2.5"), TypeError);
  assert.throws(() => int("abc"), TypeError);
  assert.equal(int.name, "int");
  assert.equal(positiveInt("12"), 12);
  assert.throws(() => positiveInt("0"), TypeError);
  assert.equal(positiveInt.name, "positive int");
});

Deno.test("the help: argparse 3.14's layout, as wide as the terminal less 2, no colour codes", async () => {
  const help = (await benchLike()).format_help();
  assert.match(help, /^usage: bench\.ts \[-h\] \[--delay S\] /);
  assert.match(
    help,
    /\noptions:\n {2}-h, --help +show this help message and exit\n/,
  );
  assert.match(help, /\n {2}-v, --verbose\n/);
  assert.match(help, /\n {2}--memory \{time,proc\} +how\n/);
  const width = terminalColumns() - 2;
  assert.ok(lines(help).every((line) => line.length <= width), help);
  assert.ok(!help.includes("\x1b["), "a colour code");
});

/** What a flags2 script prints with `args`, run with no permission from a folder of its own. */
async function runBare(
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  await using dir = await tempDir();
  const script = repoPath("flags2_sequential.ts");
  return await runDeno(script, args, dir.path, { permissions: [], env });
}

/** The usage as argparse wraps it into a pipe: 80 columns, less 2. */
const USAGE = [
  "usage: flags2_sequential.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL]",
  "                            [-v] [--trace FILE]",
  "                            [CC ...]",
];

/** The book's own checks: on stdout, `*** Usage error: ` and the usage. */
const OWN_CHECKS: [string[], string][] = [
  [["-m", "0"], "--max_req CONCURRENT must be >= 1"],
  [["-l", "0"], "--limit N must be >= 1"],
  [
    ["-s", "nowhere"],
    "--server must be a label (DELAY, ERROR, LOCAL, REMOTE) or a base URL",
  ],
  [
    ["--ser", "nowhere"],
    "--server must be a label (DELAY, ERROR, LOCAL, REMOTE) or a base URL",
  ],
  [["BR", "ABC"], "each CC argument must be A to Z or AA to ZZ."],
];

/** What argparse finds: on stderr, the usage and `PROG: error: `. */
const ARGPARSE_ERRORS: [string[], string][] = [
  [["-m", "abc"], "argument -m/--max_req: invalid int value: 'abc'"],
  [["--lim", "2.5"], "argument -l/--limit: invalid int value: '2.5'"],
  [["-l"], "argument -l/--limit: expected one argument"],
  [["--bogus", "BR"], "unrecognized arguments: --bogus"],
];

// Colours asked for every way, and a width: without env access, none is read.
const ENV = { FORCE_COLOR: "1", PYTHON_COLORS: "1", COLUMNS: "40" };

Deno.test("usage errors with no permission: the book's checks on stdout, argparse's on stderr, the usage 80 columns wide, exit 2", async () => {
  for (const [args, message] of OWN_CHECKS) {
    const { code, stdout, stderr } = await runBare(args, ENV);
    const why = `${args.join(" ")}\n${stdout}${stderr}`;
    assert.equal(code, 2, why);
    assert.equal(stderr, "", why);
    assert.deepEqual(lines(stdout), [`*** Usage error: ${message}`, ...USAGE]);
  }
  for (const [args, message] of ARGPARSE_ERRORS) {
    const { code, stdout, stderr } = await runBare(args, ENV);
    const why = `${args.join(" ")}\n${stdout}${stderr}`;
    assert.equal(code, 2, why);
    assert.equal(stdout, "", why);
    assert.deepEqual(lines(stderr), [
      ...USAGE,
      `flags2_sequential.ts: error: ${message}`,
    ]);
  }
});

Deno.test("COLUMNS sets the width when --allow-env grants it, as Python's shutil.get_terminal_size reads it (python3 prints the same)", async () => {
  await using dir = await tempDir();
  const script = repoPath("flags2_sequential.ts");
  const { code, stderr } = await runDeno(script, ["-l"], dir.path, {
    permissions: ["--allow-env=COLUMNS"],
    env: ENV,
  });
  assert.equal(code, 2, stderr);
  assert.deepEqual(lines(stderr), [
    "usage: flags2_sequential.ts [-h] [-a]",
    "                            [-e]",
    "                            [-l N]",
    "                            [-m CONCURRENT]",
    "                            [-s LABEL]",
    "                            [-v]",
    "                            [--trace FILE]",
    "                            [CC ...]",
    "flags2_sequential.ts: error: argument -l/--limit: expected one argument",
  ]);
});

Deno.test("-h: argparse 3.14's help on stdout, exit 0, no colour codes, 80 columns into a pipe, with no permission", async () => {
  const { code, stdout, stderr } = await runBare(["-h"], ENV);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
  assert.match(stdout, /^usage: flags2_sequential\.ts \[-h\] \[-a\] /);
  assert.match(stdout, /\n {2}-l, --limit N +limit to N first codes\n/);
  assert.match(
    stdout,
    /\n {2}-m, --max_req CONCURRENT\n {24}maximum concurrent requests \(default=1\)\n/,
  );
  assert.match(
    stdout,
    /\n {2}-s, --server LABEL +Server to hit; one of DELAY, ERROR, LOCAL, REMOTE, or\n {24}a base URL \(default=LOCAL\)\n/,
  );
  assert.ok(!stdout.includes("\x1b["), "a colour code");
  assert.ok(lines(stdout).every((line) => line.length <= 78), stdout);
});

Deno.test("a type that throws a UsageError: its own words and the usage on stdout, exit 2; prog is the script's name", async () => {
  const out = await runSource(
    `import { argumentParser, UsageError } from "${CLI}";
const parser = await argumentParser();
const port = (text: string) => {
  throw new UsageError(\`--port N must be a port, not '\${text}'\`);
};
parser.add_argument("--port", { metavar: "N", type: port });
parser.parse_args(["--po", "99999"]);
`,
    ["--config", repoPath("deno.json")],
  );
  assert.equal(out.code, 2, out.stderr);
  assert.equal(out.stderr, "");
  assert.deepEqual(lines(out.stdout), [
    "*** Usage error: --port N must be a port, not '99999'",
    "usage: main.ts [-h] [--port N]",
  ]);
});
