/**
 * Every script's entry point, in one table: the script, its arguments, its
 * permissions, and what comes of them (the exit status, standard error line
 * by line, standard output, the folder it ran from): `-h`, usage errors,
 * missing permissions, no server.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Semaphore } from "npm:async-mutex@0.5.0";
import { startServer } from "../slow_server.ts";
import {
  describe,
  freePort,
  LEAST_PERMISSIONS,
  lines,
  listDir,
  LOCALHOST,
  repoPath,
  runDeno,
  SCRIPT_NAMES,
  SCRIPTS,
  settleAll,
  tempDir,
} from "../testing/harness.ts";

/** One run of a script, and what comes of it. */
interface EntryPoint {
  /** The script's path from the repository's root. */
  script: string;
  /** Its arguments. */
  args: string[];
  /** Flags after `deno run`; `-A` by default. */
  permissions?: readonly string[];
  /** Environment variables. */
  env?: Record<string, string>;
  /** The exit status. */
  code: number;
  /** Standard error, a line or a pattern of it each, or a pattern of it all. */
  stderr: (string | RegExp)[] | RegExp;
  /** Standard output, or patterns it matches; none by default. */
  stdout?: string | RegExp[];
  /** What the folder it ran from holds after, downloads/ empty; nothing by default. */
  left?: string[];
}

/** flags.ts and its kin: the chapter's first downloaders. */
const SIMPLE = [
  "flags.ts",
  "flags_threadpool.ts",
  "flags_asyncio.ts",
  "flags_threadpool_ac.ts",
];
const FLAGS2: string[] = SCRIPT_NAMES.map((name) => SCRIPTS[name]);
const DEFAULT_CONCURRENCY: Record<string, number> = {
  "flags2_sequential.ts": 1,
  "flags2_asyncio.ts": 5,
  "flags2_threadpool.ts": 30,
  "flags2_asyncio_executor.ts": 5,
  "flags3_threadpool.ts": 30,
  "flags3_asyncio.ts": 5,
};

/**
 * The help of the book's parser, as Python 3.14's argparse prints it for
 * `flags2_threadpool.py` (default concurrency 30).
 */
const ARGPARSE_HELP = `\
usage: flags2_threadpool.py [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]

Download flags for country codes. Default: top 20 countries by population.

positional arguments:
  CC                    country code or 1st letter (eg. B for BA...BZ)

options:
  -h, --help            show this help message and exit
  -a, --all             get all available flags (AD to ZW)
  -e, --every           get flags for every possible code (AA...ZZ)
  -l, --limit N         limit to N first codes
  -m, --max_req CONCURRENT
                        maximum concurrent requests (default=30)
  -s, --server LABEL    Server to hit; one of DELAY, ERROR, LOCAL, REMOTE (default=LOCAL)
  -v, --verbose         output detailed progress info
`;

/**
 * `help` as argparse may lay it out: each entry's words on its line or
 * wrapped under it, its help in any column.
 */
function helpPattern(help: string): RegExp {
  const entries = help.replace(/\n {3,}/g, " ").split("\n");
  const pattern = entries.map((entry) => {
    const [, indent, words] = /^( *)(.*)$/.exec(entry)!;
    return indent + wrappable(words);
  });
  return new RegExp(`^${pattern.join("\n")}$`);
}

/** A pattern of `words` on one line or wrapped, the next lines indented. */
function wrappable(words: string): string {
  return words.split(/ +/).map(RegExp.escape).join("(?: +|\\n +)");
}

/** The help of a flags2 script: the book's, with --trace and a URL for -s. */
function flags2Help(script: string): RegExp {
  return helpPattern(
    ARGPARSE_HELP.replace("flags2_threadpool.py", script)
      .replace("[-v]", "[-v] [--trace FILE]")
      .replace("(default=30)", `(default=${DEFAULT_CONCURRENCY[script]})`)
      .replace("REMOTE (", "REMOTE, or a base URL (") +
      "  --trace FILE  write one JSON line per request to FILE\n",
  );
}

const flags2Usage = (script: string) =>
  `usage: ${script} [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] ` +
  "[--trace FILE] [CC ...]";

/** The flags2 scripts' usage errors (each given BR too), and argparse's own words. */
const FLAGS2_USAGE_ERRORS: [string[], string | RegExp][] = [
  [["-m", "0"], "--max_req CONCURRENT must be >= 1"],
  [["-l", "0"], "--limit N must be >= 1"],
  [
    ["-s", "nowhere"],
    "--server must be a label (DELAY, ERROR, LOCAL, REMOTE) or a base URL",
  ],
  [
    ["-s", "http://"],
    "--server URL must be an http:// or https:// URL with a host, not 'http://'",
  ],
  [["-s", "ftp://example.com/flags"], /^--server URL must be an http:/],
  [["ABC"], "each CC argument must be A to Z or AA to ZZ."],
  [["-l", "x"], "argument -l/--limit: invalid int value: 'x'"],
  [["--bogus"], "unrecognized arguments: --bogus"],
];

/** flags.ts and its kin's usage errors. */
const SIMPLE_USAGE_ERRORS: [string[], string][] = [
  [["-x"], "unrecognized arguments: -x"],
  [["-s"], "argument -s/--server: expected one argument"],
  [
    ["-s", "nowhere"],
    "--server must be a label (DELAY, ERROR, LOCAL, REMOTE) or a base URL",
  ],
  [["BR", "x"], "unrecognized arguments: BR x"],
];

/** The usage errors of sha_futures.ts and arcfour_futures.ts. */
const CRYPTO_USAGE_ERRORS: [string[], string][] = [
  [["x"], "argument WORKERS: invalid positive int value: 'x'"],
  [["0"], "argument WORKERS: invalid positive int value: '0'"],
  [["1", "2"], "unrecognized arguments: 2"],
  [["--plain", "2"], "--plain runs on the main thread: no WORKERS"],
  [
    ["--plain", "--threads"],
    "argument --threads: not allowed with argument --plain",
  ],
  [["--bogus"], "unrecognized arguments: --bogus"],
  [["--scale", "0"], "--scale N must be >= 1"],
  [["--scale", "x"], "argument --scale: invalid int value: 'x'"],
];

/** The usage errors of proc_pool.ts, which has no --scale. */
const PRIMES_USAGE_ERRORS: [string[], string][] = [
  [["0"], "argument WORKERS: invalid positive int value: '0'"],
  [["--plain", "2"], "--plain runs on the main thread: no WORKERS"],
  [["--scale", "2"], "unrecognized arguments: --scale"],
];

const SERVER_USAGE = "usage: slow_server.ts [-h] [-p N] [-b ADDRESS] " +
  "[-d SECONDS] [--delay-rate F] [-e F] [--seed N] [--edition {1,2}] " +
  "[--vaurien] [-q]";

/** slow_server.ts's usage errors. */
const SERVER_USAGE_ERRORS: [string[], string][] = [
  [["--error-rate", "2"], "--error-rate F must be a number from 0 to 1"],
  [
    ["--delay", "fast"],
    "--delay SECONDS must be like 0.5, or a range MIN-MAX like 0.5-5",
  ],
  [
    ["--delay", "5-0.5"],
    "--delay SECONDS must be like 0.5, or a range MIN-MAX like 0.5-5",
  ],
  [["--port", "70000"], "--port N must be an integer from 0 to 65535"],
  [["--no-such-option"], "unrecognized arguments: --no-such-option"],
];

/** The line a missing permission is said in. */
const MISSING = /^\*\*\* .*run again with the --allow-[a-z]+(?:=\S+)? flag$/;

/** What a flags2 script prints before its first download. */
const FIRST_REPORT = /^CUSTOM site: .*\n.*\n.* will be used\.\n$/;

// Each script with one permission too few, what it printed, what it left;
// run from a folder of its own, `--allow-read=.` does not cover the code.
const TOO_FEW: [string, string[], string[], Partial<EntryPoint>?][] = [
  ["flags2_sequential.ts", ["--allow-read=."], [], { stdout: [FIRST_REPORT] }],
  ["flags2_threadpool.ts", ["--allow-write=downloads"], [], {
    stdout: [FIRST_REPORT],
  }],
  ["flags2_asyncio.ts", ["--allow-write=downloads"], ["-a"]],
  ["flags.ts", [], []],
  ["flags_threadpool.ts", ["--allow-env", "--allow-write=downloads"], [], {
    left: ["downloads"],
  }],
  ["flags_asyncio.ts", [], []],
  ["flags_threadpool_ac.ts", ["--allow-env", "--allow-write=downloads"], [], {
    left: ["downloads"],
  }],
  ["demo_executor_map.ts", ["--allow-read=."], []],
  ["crypto/sha_futures.ts", ["--allow-read=."], []],
  ["crypto/sha_futures.ts", ["--allow-read"], []],
  ["crypto/sha_futures.ts", ["--allow-read", "--allow-env"], []],
  ["crypto/sha_futures.ts", [], ["--threads"]],
  ["crypto/arcfour_futures.ts", ["--allow-read"], ["2"]],
  ["slow_server.ts", [], ["-p", "0"]],
  ["slow_server.ts", ["--allow-read"], ["-p", "0"]],
];

/** Where the table's runs go. */
interface Addresses {
  /** A quiet server of localhost. */
  local: string;
  /** A server that answers every request 418. */
  error: string;
  /** A URL of 127.0.0.1 where nothing listens. */
  nowhere: string;
  /** A URL of 0.0.0.0 where nothing listens, which a script never serves itself. */
  everywhere: string;
  /** A port of 127.0.0.1 held by the test. */
  taken: number;
}

/** What `-h` prints, for every script. */
function helpRows(): EntryPoint[] {
  const usage = (script: string, more = "") =>
    new RegExp(`^usage: ${RegExp.escape(script)} \\[-h\\]${more}\n`);
  const helpLine = /\n {2}-h, --help +show this help message and exit\n/;
  const cryptoUsage = " \\[--threads \\| --plain\\] \\[--scale N\\] " +
    "\\[WORKERS\\]";
  return [
    ...FLAGS2.map((script) => ({
      script,
      args: ["-h"],
      code: 0,
      stderr: [],
      stdout: [flags2Help(script)],
    })),
    ...SIMPLE.map((script) => ({
      script,
      args: ["-h"],
      permissions: [],
      code: 0,
      stderr: [],
      stdout: [
        usage(script, " \\[-s LABEL\\]"),
        /\n {2}-s, --server LABEL +Server to hit; one of DELAY, ERROR, LOCAL, REMOTE, or a\n\s+base URL \(default=LOCAL\)\n/,
        helpLine,
        // What each script does: flags_threadpool_ac.ts only the first 5.
        script === "flags_threadpool_ac.ts"
          ? /\n\nDownload the first 5 of the 20 most populous countries' flags\s/
          : /\n\nDownload the flags of the 20 most populous countries\.\n/,
      ],
    })),
    ...["demo_executor_map.ts", "crypto/arcfour.ts"].map((script) => ({
      script,
      args: ["-h"],
      permissions: [],
      code: 0,
      stderr: [],
      stdout: [usage(script.split("/").at(-1)!, "\n"), helpLine],
    })),
    ...["sha_futures.ts", "arcfour_futures.ts"].map((script) => ({
      script: `crypto/${script}`,
      args: ["-h"],
      code: 0,
      stderr: [],
      stdout: [
        usage(script, `${cryptoUsage}\n`),
        /--threads +run the jobs on Workers instead of processes/,
      ],
    })),
    {
      script: "primes/proc_pool.ts",
      args: ["-h"],
      permissions: [],
      code: 0,
      stderr: [],
      stdout: [
        /^usage: proc_pool.ts \[-h\] \[--threads \| --plain\] \[WORKERS\]\n\nCheck 20 numbers for primality on a pool of processes\.\n/,
        /^(?![\s\S]*--scale)/, // no --scale anywhere
      ],
    },
  ];
}

/** What argparse finds itself, which it says in its own words. */
const ARGPARSE_FINDS = /^(?:argument |unrecognized arguments: )/;

/**
 * A usage error, exit 2: what argparse finds on stderr, the usage (wrapped
 * to 80 columns, into a pipe), then `PROG: error: PROBLEM`; the book's
 * own checks on stdout, `*** Usage error: PROBLEM`, then the usage.
 */
function usageError(
  script: string,
  problem: string | RegExp,
  usage: string,
): Pick<EntryPoint, "code" | "stdout" | "stderr"> {
  const said = typeof problem === "string"
    ? RegExp.escape(problem)
    : `${problem.source.slice(1)}.*`; // the start of a line
  const prog = RegExp.escape(script.split("/").at(-1)!);
  if (ARGPARSE_FINDS.test(typeof problem === "string" ? problem : said)) {
    return {
      code: 2,
      stdout: "",
      stderr: new RegExp(`^${wrappable(usage)}\n${prog}: error: ${said}\n$`),
    };
  }
  return {
    code: 2,
    stdout: [
      new RegExp(`^\\*\\*\\* Usage error: ${said}\n${wrappable(usage)}\n$`),
    ],
    stderr: [],
  };
}

/** Usage errors, for every script with options. */
function usageRows(): EntryPoint[] {
  const rows = (
    scripts: string[],
    errors: [string[], string | RegExp][],
    usage: (script: string) => string,
    { permissions, more = [] }: { permissions?: string[]; more?: string[] } =
      {},
  ): EntryPoint[] =>
    scripts.flatMap((script) =>
      errors.map(([args, problem]) => ({
        script,
        args: [...args, ...more],
        permissions,
        ...usageError(script, problem, usage(script.split("/").at(-1)!)),
      }))
    );
  const bare = (script: string) => `usage: ${script} [-h]`;
  return [
    ...rows(FLAGS2, FLAGS2_USAGE_ERRORS, flags2Usage, { more: ["BR"] }),
    ...rows(SIMPLE, SIMPLE_USAGE_ERRORS, (s) => `${bare(s)} [-s LABEL]`),
    // argparse's words for what a script of no argument did not expect, all of it.
    ...rows(
      ["demo_executor_map.ts", "crypto/arcfour.ts"],
      [[["x", "y", "--x"], "unrecognized arguments: x y --x"]],
      bare,
      { permissions: [] },
    ),
    ...rows(
      ["crypto/sha_futures.ts", "crypto/arcfour_futures.ts"],
      CRYPTO_USAGE_ERRORS,
      (s) => `${bare(s)} [--threads | --plain] [--scale N] [WORKERS]`,
    ),
    ...rows(
      ["primes/proc_pool.ts"],
      PRIMES_USAGE_ERRORS,
      (s) => `${bare(s)} [--threads | --plain] [WORKERS]`,
      { permissions: [] },
    ),
    ...rows(["slow_server.ts"], SERVER_USAGE_ERRORS, () => SERVER_USAGE),
    ...rows(
      ["slow_server.ts"],
      [[
        ["--edition", "3"],
        "argument --edition: invalid choice: '3' (choose from '1', '2')",
      ]],
      () => SERVER_USAGE,
    ),
  ];
}

/** What a flags2 script prints first, of one code (BR) and `label` at `url`. */
function initialReport(label: string, url: string): string {
  return `${label} site: ${url}\nSearching for 1 flag: BR\n` +
    "1 concurrent connection will be used.\n";
}

/** One line naming the flag to add, exit 1. */
function permissionRows({ local }: Addresses): EntryPoint[] {
  return [
    ...TOO_FEW.map(([script, permissions, args, more]) => ({
      script,
      args: script.startsWith("flags")
        ? ["-s", "http://127.0.0.1:1/flags", ...args]
        : args,
      permissions,
      code: 1,
      stderr: [MISSING],
      ...more,
    })),
    ...FLAGS2.map((script) => ({
      script,
      args: ["-s", "REMOTE", "BR"],
      permissions: ["--allow-net=localhost", "--allow-read", "--allow-write"],
      code: 1,
      stderr: [
        '*** Missing permission: Requires net access to "www.fluentpython.com", ' +
        "run again with the --allow-net flag",
      ],
      stdout: initialReport(
        "REMOTE",
        "https://www.fluentpython.com/data/flags",
      ),
    })),
    ...FLAGS2.map((script) => ({
      script,
      args: ["--trace", "t.jsonl", "-s", local, "BR"],
      permissions: LEAST_PERMISSIONS,
      code: 1,
      stderr: [
        "*** Cannot write to t.jsonl: --trace needs t.jsonl in --allow-write",
      ],
      stdout: initialReport("CUSTOM", local),
      left: ["downloads"],
    })),
    {
      script: "primes/proc_pool.ts",
      args: ["2"],
      permissions: ["--allow-read", "--allow-env"],
      code: 1,
      stderr: [/^\*\*\* Missing permission: .*--allow-run/],
    },
    // --edition 2 asks for port 8000 first, the default 8001; nothing binds.
    ...([[[], 8001], [["--edition", "2"], 8000], [["--ed=1"], 8001]] as const)
      .map(([args, port]) => ({
        script: "slow_server.ts",
        args: [...args],
        permissions: ["--allow-read"],
        code: 1,
        stderr: [
          `*** Missing permission: Requires net access to "localhost:${port}", ` +
          "run again with the --allow-net flag",
        ],
      })),
  ];
}

/** No server where a script goes, or one that answers with errors. */
function serverRows(
  { error, nowhere, everywhere, taken }: Addresses,
): EntryPoint[] {
  const hint = `*** No server at ${everywhere}: start the test servers with ` +
    `"deno task serve" in another terminal.`;
  // LOCAL, the default, moved to a port where nothing listens.
  const env = { FLAGS2_LOCAL_URL: everywhere };
  return [
    ...SIMPLE.map((script) => ({
      script,
      args: [],
      env,
      code: 1,
      stderr: [
        `*** Download from ${everywhere} failed: Connection error`,
        hint,
      ],
      ...downloading(script),
    })),
    ...FLAGS2.map((script) => ({
      script,
      args: ["-s", "local", "BR", "CN"],
      env,
      code: 0,
      stderr: [hint],
      stdout: [
        new RegExp(
          `^LOCAL site: ${RegExp.escape(everywhere)}\n.*\n.*\n-{20}\n` +
            "0 flags downloaded\\.\n2 errors\\.\nElapsed time: \\d+\\.\\d\\ds\n$",
        ),
      ],
      left: ["downloads"],
    })),
    // A URL of one's own is no test server: no hint.
    ...SIMPLE.map((script) => ({
      script,
      args: ["-s", nowhere],
      code: 1,
      stderr: [`*** Download from ${nowhere} failed: Connection error`],
      ...downloading(script),
    })),
    // A test server that answers, if only with errors, gets no hint.
    {
      script: "flags2_asyncio.ts",
      args: ["-s", "ERROR", "BR", "CN"],
      env: { FLAGS2_ERROR_URL: error },
      code: 0,
      stderr: [],
      stdout: [/^2 errors\.$/m],
      left: ["downloads"],
    },
    // An error status in the flags2 scripts' words; --ser for --server.
    ...SIMPLE.map((script) => ({
      script,
      args: ["--ser", error],
      code: 1,
      stderr: [
        `*** Download from ${error} failed: HTTP error 418 - I'm a Teapot`,
      ],
      ...downloading(script),
    })),
    {
      script: "slow_server.ts",
      args: ["-p", String(taken), "-b", "127.0.0.1"],
      code: 1,
      stderr: [
        `*** Cannot start: port ${taken} (CUSTOM) is taken: the test servers ` +
        "may already be running (deno task serve, in another terminal)",
      ],
    },
  ];
}

/** What flags.ts and its kin print and leave when a download fails. */
function downloading(script: string): Pick<EntryPoint, "stdout" | "left"> {
  // flags_threadpool_ac.ts schedules the first 5 before any fails.
  const scheduled =
    /^(?:Scheduled for [A-Z]{2}: <Future at 0x\d state=\w+>\n){5}$/;
  return {
    stdout: script === "flags_threadpool_ac.ts" ? [scheduled] : "",
    left: ["downloads"],
  };
}

/** Runs `row` from a folder of its own and asserts what comes of it. */
async function assertEntryPoint(row: EntryPoint): Promise<void> {
  await using dir = await tempDir();
  const { script, args, permissions, env } = row;
  const result = await runDeno(repoPath(script), args, dir.path, {
    permissions,
    env,
  });
  const why = describe(
    `${script} ${(permissions ?? ["-A"]).join(" ")} -- ${args.join(" ")}`,
    result,
  );
  assert.equal(result.code, row.code, why);
  if (row.stderr instanceof RegExp) {
    assert.match(result.stderr, row.stderr, why);
  } else {
    const stderr = lines(result.stderr);
    assert.equal(stderr.length, row.stderr.length, why);
    row.stderr.forEach((line, i) => {
      if (typeof line === "string") assert.equal(stderr[i], line, why);
      else assert.match(stderr[i], line, why);
    });
  }
  const { stdout = "" } = row;
  if (typeof stdout === "string") assert.equal(result.stdout, stdout, why);
  else for (const pattern of stdout) assert.match(result.stdout, pattern, why);
  assert.deepEqual(await listDir(dir.path), row.left ?? [], why);
  assert.deepEqual(await listDir(`${dir.path}/downloads`), [], why);
}

Deno.test("every script's entry point: -h, usage errors, missing permissions, no server", async () => {
  await using local = await startServer({
    ...LOCALHOST,
    hostname: "localhost",
  });
  await using error = await startServer({ ...LOCALHOST, errorRate: 1 });
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const addresses: Addresses = {
    local: local.url,
    error: error.url,
    nowhere: `http://127.0.0.1:${freePort()}/flags`,
    // 0.0.0.0, every interface, which a script never serves itself.
    everywhere: `http://0.0.0.0:${freePort()}/flags`,
    taken: taken.addr.port,
  };
  const table = [
    ...helpRows(),
    ...usageRows(),
    ...permissionRows(addresses),
    ...serverRows(addresses),
  ];
  // A few at a time: each is a deno process.
  const slots = new Semaphore(8);
  await settleAll(
    table.map((row) => slots.runExclusive(() => assertEntryPoint(row))),
  );
  // The least-permission runs fail before any request.
  assert.equal(local.peak(), 0, "a request was made");
});
