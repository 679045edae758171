/**
 * Tests of lib/cli.ts, the one command line of the scripts, the servers and
 * the bench: argparse's abbreviations, help and types in commander; and of
 * the one-line message of a missing permission, each script run with too
 * few permissions from a folder of its own.
 *
 * @module
 */

import assert from "node:assert/strict";
import { processArgs } from "../flags2_common.ts";
import { startServer } from "../slow_server.ts";
import {
  argumentParser,
  choice,
  integer,
  parseCommandLine,
  positiveInteger,
  UsageError,
} from "../lib/cli.ts";
import {
  decode,
  freePort,
  lines,
  listDir,
  LOCALHOST,
  repoPath,
  settleAll,
  tempDir,
} from "../tools/harness.ts";
import { denoCommand } from "../tools/process.ts";

/** `flags.ts` and its kin: the chapter's first downloaders. */
const SIMPLE = [
  "flags.ts",
  "flags_threadpool.ts",
  "flags_asyncio.ts",
  "flags_threadpool_ac.ts",
];

/** A parser like the bench's: options that share prefixes, and `-h`. */
async function benchLike() {
  return (await argumentParser("bench.ts"))
    .option("--delay <S>", "a delay")
    .option("--delay-rate <F>", "a rate")
    .option("--repeat <N>", "runs", positiveInteger, 3)
    .option("--memory <HOW>", "how", choice("time", "proc"))
    .option("-v, --verbose", "more");
}

/** Asserts that `fn` throws a UsageError whose message matches. */
function assertUsageError(fn: () => unknown, message: string | RegExp) {
  assert.throws(fn, (exc: unknown) => {
    assert.ok(exc instanceof UsageError, `not a UsageError: ${exc}`);
    if (typeof message === "string") assert.equal(exc.message, message);
    else assert.match(exc.message, message);
    return true;
  });
}

Deno.test("a unique prefix of a long option stands for it, as argparse's allow_abbrev", async () => {
  const [args] = await processArgs(5, ["--ser", "DELAY", "--verb", "--lim=3"]);
  assert.equal(args.server, "DELAY");
  assert.equal(args.verbose, true);
  assert.equal(args.limit, 3);
  const [more] = await processArgs(5, ["--max", "7", "--ev"]);
  assert.equal(more.max_req, 7);
  assert.equal(more.every, true);
});

Deno.test("an exact name wins over the longer names it begins", async () => {
  const options = parseCommandLine(await benchLike(), ["--delay", "1"]);
  assert.deepEqual(options, { delay: "1", repeat: 3 });
  const rate = parseCommandLine(await benchLike(), ["--delay-r", "0.5"]);
  assert.equal(rate.delayRate, "0.5");
});

Deno.test("an ambiguous prefix is a usage error, in argparse's words", async () => {
  const program = await benchLike();
  assertUsageError(
    () => parseCommandLine(program, ["--de", "1"]),
    "ambiguous option: --de could match --delay, --delay-rate",
  );
});

Deno.test("an option's value and what follows -- are never expanded", async () => {
  const program = (await benchLike()).argument("[REST...]");
  const options = parseCommandLine(program, [
    "--delay",
    "--verb",
    "--",
    "--rep",
  ]);
  assert.equal(options.delay, "--verb");
  assert.equal(options.verbose, undefined);
  assert.deepEqual(program.args, ["--rep"]);
});

Deno.test("an unknown option or an extra argument is a usage error, in argparse's words", async () => {
  const bench = await benchLike();
  assertUsageError(
    () => parseCommandLine(bench, ["--bogus"]),
    "unrecognized arguments: --bogus",
  );
  assertUsageError(
    () => parseCommandLine(bench, ["x", "--rep", "2", "y"]),
    "unrecognized arguments: x y",
  );
  assertUsageError(
    () => parseCommandLine(bench, ["--bogus", "x"]),
    "unrecognized arguments: --bogus x",
  );
  // Codes are all taken: only the option is unrecognized.
  const codes = (await benchLike()).argument("[CC...]", "codes");
  assertUsageError(
    () => parseCommandLine(codes, ["BR", "--bogus"]),
    "unrecognized arguments: --bogus",
  );
});

Deno.test("integer, positiveInteger and choice read values as argparse's types", async () => {
  const program = await benchLike();
  assert.equal(integer(" +4 "), 4);
  assert.equal(integer("-3"), -3);
  assert.equal(positiveInteger("12"), 12);
  assertUsageError(
    () => parseCommandLine(program, ["--repeat", "0"]),
    /argument '0' is invalid\. must be >= 1$/,
  );
  assertUsageError(
    () => parseCommandLine(program, ["--rep", "2.5"]),
    /invalid int value: '2\.5'$/,
  );
  assertUsageError(
    () => parseCommandLine(program, ["--mem", "ps"]),
    /invalid choice: 'ps' \(choose from 'time', 'proc'\)$/,
  );
  const options = parseCommandLine(await benchLike(), ["--mem", "proc"]);
  assert.equal(options.memory, "proc");
});

Deno.test("the help reads as argparse's: usage: in lower case, its titles and terms", async () => {
  const program = (await benchLike())
    .usage("[-h] [--repeat N]")
    .argument("[CC...]", "codes");
  const help = program.helpInformation();
  assert.match(help, /^usage: bench\.ts \[-h\] \[--repeat N\]\n/);
  assert.match(help, /\npositional arguments:\n {2}CC +codes\n/);
  assert.match(help, /\noptions:\n/);
  assert.match(help, /\n {2}--repeat N +runs/);
  assert.match(help, /\n {2}-v, --verbose +more/);
  // -h first, defaults as argparse's ArgumentDefaultsHelpFormatter: no quotes.
  assert.match(
    help,
    /\noptions:\n {2}-h, --help +show this help message and exit\n/,
  );
  assert.match(help, /\n {2}--repeat N +runs \(default: 3\)\n/);
  assert.doesNotMatch(help, /Usage:|Options:|<N>/);
});

/** Runs `deno run PERMISSIONS SCRIPT ARGS` from `cwd`, with no prompt. */
async function runWith(
  permissions: string[],
  script: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
) {
  const out = await denoCommand(["run", repoPath(script), ...args], {
    permissions: ["--no-prompt", ...permissions],
    cwd,
    env,
  }).output();
  return {
    code: out.code,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

// Each script with one permission too few; run from a folder of its own,
// `--allow-read=.` does not cover the code.
const TOO_FEW: [string, string[], string[]][] = [
  ["flags2_sequential.ts", ["--allow-read=."], []],
  ["flags2_threadpool.ts", ["--allow-write=downloads"], []],
  ["flags2_asyncio.ts", ["--allow-write=downloads"], ["-a"]],
  ["flags.ts", [], []],
  ["flags_threadpool.ts", ["--allow-env", "--allow-write=downloads"], []],
  ["flags_asyncio.ts", [], []],
  ["flags_threadpool_ac.ts", ["--allow-env", "--allow-write=downloads"], []],
  ["demo_executor_map.ts", ["--allow-read=."], []],
  ["sha_futures.ts", ["--allow-read=."], []],
  ["sha_futures.ts", ["--allow-read"], []],
  ["sha_futures.ts", ["--allow-read", "--allow-env"], []],
  ["sha_futures.ts", [], ["--threads"]],
  ["arcfour_futures.ts", ["--allow-read"], ["2"]],
  ["slow_server.ts", [], ["-p", "0"]],
  ["slow_server.ts", ["--allow-read"], ["-p", "0"]],
];

Deno.test("a missing permission: one line naming the flag to add, exit 1, no stack trace", async () => {
  await settleAll(TOO_FEW.map(async ([script, permissions, args]) => {
    await using dir = await tempDir();
    const { code, stdout, stderr } = await runWith(
      permissions,
      script,
      ["-s", "http://127.0.0.1:1/flags", ...args].slice(
        script.startsWith("flags") ? 0 : 2,
      ),
      dir.path,
    );
    const why = `${script} ${permissions.join(" ")}: exit ${code}\n` +
      `--- stdout\n${stdout}--- stderr\n${stderr}`;
    assert.equal(code, 1, why);
    const [line, ...more] = lines(stderr);
    assert.deepEqual(more, [], why);
    assert.match(
      line,
      /^\*\*\* .*run again with the --allow-[a-z]+ flag$/,
      why,
    );
    assert.deepEqual(await listDir(`${dir.path}/downloads`), [], why);
  }));
});

Deno.test("flags.ts and its kin: -h prints the help of one -s option and exits 0", async () => {
  await using dir = await tempDir();
  await settleAll(SIMPLE.map(async (script) => {
    const { code, stdout, stderr } = await runWith(
      [],
      script,
      ["-h"],
      dir.path,
    );
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    assert.match(
      stdout,
      new RegExp(`^usage: ${script} \\[-h\\] \\[-s LABEL\\]\n`),
    );
    assert.match(
      stdout,
      /-s LABEL, --server LABEL +Server to hit; one of DELAY, ERROR, LOCAL, REMOTE,\s+or a base URL \(default=LOCAL\)\n/,
    );
    assert.match(stdout, /-h, --help +show this help message and exit/);
    // What each script does: flags_threadpool_ac.ts only the first 5.
    const first5 = script === "flags_threadpool_ac.ts";
    assert.match(
      stdout,
      first5
        ? /\n\nDownload the first 5 of the 20 most populous countries' flags\s/
        : /\n\nDownload the flags of the 20 most populous countries\.\n/,
    );
  }));
  assert.deepEqual(await listDir(dir.path), []);
});

Deno.test("flags.ts and its kin: with no test server, the flags2 scripts' hint to run deno task serve", async () => {
  // 0.0.0.0, every interface, which a script never serves itself.
  const url = `http://0.0.0.0:${freePort()}/flags`;
  await settleAll(SIMPLE.map(async (script) => {
    await using dir = await tempDir();
    // LOCAL, the default, moved to a port where nothing listens.
    const env = { FLAGS2_LOCAL_URL: url };
    const { code, stderr } = await runWith(["-A"], script, [], dir.path, env);
    assert.equal(code, 1, stderr);
    assert.deepEqual(lines(stderr), [
      `*** Download from ${url} failed: Connection error`,
      `*** No server at ${url}: start the test servers with "deno task serve" in another terminal.`,
    ]);
  }));
});

Deno.test("flags.ts and its kin: an error status in the flags2 scripts' words, I'm a Teapot; --ser for --server", async () => {
  await using server = await startServer({ ...LOCALHOST, errorRate: 1 });
  await settleAll(SIMPLE.map(async (script) => {
    await using dir = await tempDir();
    const args = ["--ser", server.url];
    const { code, stderr } = await runWith(["-A"], script, args, dir.path);
    assert.equal(code, 1, stderr);
    assert.deepEqual(lines(stderr), [
      `*** Download from ${server.url} failed: HTTP error 418 - I'm a Teapot`,
    ]);
    assert.deepEqual(await listDir(`${dir.path}/downloads`), []);
  }));
});

Deno.test("demo_executor_map.ts and arcfour.ts take no argument: -h prints the help, an option is a usage error, nothing runs", async () => {
  await using dir = await tempDir();
  await settleAll(["demo_executor_map.ts", "arcfour.ts"].map(async (script) => {
    const help = await runWith([], script, ["-h"], dir.path);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^usage: ${script} \\[-h\\]\n`));
    assert.match(help.stdout, /-h, --help +show this help message and exit/);
    // argparse's words for what it did not expect, all of it.
    const bad = await runWith([], script, ["x", "y", "--x"], dir.path);
    assert.equal(bad.code, 2, bad.stderr);
    assert.equal(bad.stdout, "");
    assert.deepEqual(lines(bad.stderr), [
      "*** Usage error: unrecognized arguments: x y --x",
      `usage: ${script} [-h]`,
    ]);
  }));
});
