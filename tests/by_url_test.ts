/**
 * The scripts as single-file scripts: a raw-file host on loopback serves a
 * clone of the repository (`text/plain`, as a raw-file host answers), and
 * every script of the README's table runs by its URL from an empty folder,
 * with `--reload`: LOCAL served by the script itself from the `flags.zip`
 * of that host, both pools, `-a`, the CPU scripts on processes and on
 * Workers. `deno install` of a URL gives a command that runs. The least
 * permissions of docs/running.md, by path and by URL, are enough. A clone
 * in a folder whose name needs escaping runs both pools. A first run with
 * an empty `DENO_DIR` fetches only the npm packages its script imports.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Semaphore } from "npm:async-mutex@0.5.0";
import { startServer } from "../slow_server.ts";
import {
  assertGoodDownloads,
  decode,
  denoCommand,
  describe,
  freePort,
  lines,
  LOCALHOST,
  ownLines,
  repoPath,
  runDeno,
  type RunResult,
  SCRIPT_NAMES,
  type ScriptName,
  SCRIPTS,
  settleAll,
  tempDir,
  zipGifs,
} from "../testing/harness.ts";
import { type ServedClone, servedClone } from "../testing/raw_host.ts";
import { parseReport } from "../testing/report.ts";

/** The folder name of the issue that found module URLs taken for paths. */
const AWKWARD_FOLDER = "a folder with spaces & 100% #1 ü";

/** The line of a script that serves LOCAL itself at `url`. */
const servingLine = (url: string) =>
  new RegExp(
    `^\\*\\*\\* Serving LOCAL at ${RegExp.escape(url)} from flags\\.zip`,
  );

/** Where `-s` points a row: the test's LOCAL server. */
const LOCAL = "LOCAL_URL";

/** One run by URL, and the report it prints. */
interface Row {
  /** The script's path from the repository's root. */
  script: string;
  /** Its arguments; `LOCAL` stands for the test server's URL. */
  args: string[];
  /** Whether it serves LOCAL itself (at a free port, moved there by `FLAGS2_LOCAL_URL`). */
  serves?: boolean;
  /** Its last line of standard output. */
  last: RegExp;
  /** How many lines it prints on standard output. */
  lines: number;
  /** How many flags it saves, byte for byte those of flags.zip. */
  flags?: number;
}

const DOWNLOADED_20 = /^20 flags downloaded in \d+\.\d\ds$/;
const DOWNLOADED_5 = /^5 flags downloaded in \d+\.\d\ds$/;
const ELAPSED = /^Elapsed time: \d+\.\d\ds$/;
const WORKERS_2 = /^2 workers, elapsed time: \d+\.\d\ds$/;
const TOTAL_TIME = /^Total time: \d+\.\d\ds$/;

/** A row: `script` with `args` prints `lines` lines, the last `last`. */
function row(
  script: string,
  args: string[],
  last: RegExp,
  lines: number,
  more: Pick<Row, "flags" | "serves"> = {},
): Row {
  return { script, args, last, lines, ...more };
}

/** Every script of the README's table, its report by URL. */
const ROWS: Row[] = [
  row("flags.ts", [], DOWNLOADED_20, 2, { flags: 20, serves: true }),
  row("flags_threadpool.ts", ["-s", LOCAL], DOWNLOADED_20, 2, { flags: 20 }),
  row("flags_threadpool_ac.ts", ["-s", LOCAL], DOWNLOADED_5, 12, { flags: 5 }),
  row("flags_asyncio.ts", ["-s", LOCAL], DOWNLOADED_20, 2, { flags: 20 }),
  row("demo_executor_map.ts", [], /^\[[\d:]{8}\] result 4: 40$/, 18),
  row("flags2_sequential.ts", ["-s", LOCAL], ELAPSED, 6, { flags: 20 }),
  row("flags2_threadpool.ts", [], ELAPSED, 6, { flags: 20, serves: true }),
  row("flags2_asyncio.ts", ["-a", "-s", LOCAL], ELAPSED, 6, { flags: 194 }),
  row("flags2_asyncio_executor.ts", ["-s", LOCAL], ELAPSED, 6, { flags: 20 }),
  row("flags3_threadpool.ts", ["-s", LOCAL], ELAPSED, 6, { flags: 20 }),
  row("flags3_asyncio.ts", ["-s", LOCAL], ELAPSED, 6, { flags: 20 }),
  row("crypto/arcfour.ts", [], /^OK$/, 3),
  row("crypto/arcfour_futures.ts", ["2"], WORKERS_2, 13),
  row("crypto/arcfour_futures.ts", ["--threads", "2"], WORKERS_2, 13),
  row("crypto/sha_futures.ts", ["2"], WORKERS_2, 13),
  row("crypto/sha_futures.ts", ["--threads", "2"], WORKERS_2, 13),
  row("primes/primes.ts", [], /^9999999999999999 false$/, 20),
  row("primes/proc_pool.ts", ["2"], TOTAL_TIME, 22),
  row("primes/proc_pool.ts", ["--threads", "2"], TOTAL_TIME, 22),
];

/** The Start command's run: LOCAL served by the script, 20 flags. */
const START = row("flags2_threadpool.ts", [], ELAPSED, 6, {
  flags: 20,
  serves: true,
});

/** The scripts of the README's table: its `.ts` links that have a `main`. */
async function readmeScripts(): Promise<string[]> {
  const readme = await Deno.readTextFile(repoPath("README.md"));
  const linked = [...readme.matchAll(/^\| \[`[^`]+`\]\(([^)]+\.ts)\)/gm)]
    .map((match) => match[1]);
  const scripts = [];
  for (const file of linked) {
    const source = await Deno.readTextFile(repoPath(file));
    if (/^if \(import\.meta\.main\)/m.test(source)) scripts.push(file);
  }
  return scripts;
}

/** The flags2 script name of `script`, for the names its flags are saved under. */
function scriptName(script: string): ScriptName {
  return SCRIPT_NAMES.find((name) => SCRIPTS[name] === script) ?? "sequential";
}

/**
 * Asserts what `row` printed and saved in `cwd`.
 *
 * @param row the run
 * @param result how it ended
 * @param cwd the folder it ran from
 * @param served the URL of the LOCAL it served itself, if it did
 */
async function assertRow(
  row: Row,
  result: RunResult,
  cwd: string,
  served?: string,
): Promise<void> {
  const why = describe([row.script, ...row.args].join(" "), result);
  assert.equal(result.code, 0, why);
  const stderr = ownLines(result.stderr);
  if (served) {
    assert.equal(stderr.length, 1, why);
    assert.match(stderr[0], servingLine(served), why);
  } else {
    assert.deepEqual(stderr, [], why);
  }
  const out = lines(result.stdout);
  assert.equal(out.length, row.lines, why);
  assert.match(out.at(-1) ?? "", row.last, why);
  if (row.flags === undefined) return;
  const saved = await assertGoodDownloads(cwd, scriptName(row.script));
  assert.equal(saved.length, row.flags, why);
  if (row.last === ELAPSED) {
    assert.equal(parseReport(result.stdout).ok, row.flags, why);
  }
}

/**
 * Runs `row` by its URL at `clone`'s host, from an empty folder, with `-A`.
 *
 * @param clone the served clone
 * @param row the run
 * @param localUrl the test's LOCAL server, for `-s`
 */
async function runRowByUrl(
  clone: ServedClone,
  row: Row,
  localUrl: string,
): Promise<void> {
  await using dir = await tempDir();
  const unserved = `http://localhost:${freePort()}/flags`;
  const args = row.args.map((arg) => arg === LOCAL ? localUrl : arg);
  const result = await runDeno(clone.host.url + row.script, args, dir.path, {
    permissions: ["-A", clone.reload],
    env: row.serves ? { FLAGS2_LOCAL_URL: unserved } : {},
  });
  await assertRow(row, result, dir.path, row.serves ? unserved : undefined);
}

Deno.test("by URL: every script of the README's table runs from an empty folder and prints its report", async () => {
  const scripts = await readmeScripts();
  assert.ok(scripts.length >= 16, `${scripts}`);
  assert.deepEqual(
    [...new Set(ROWS.map((row) => row.script))].sort(),
    scripts.filter((s) => s !== "slow_server.ts").sort(),
  );
  await using clone = await servedClone();
  await using local = await startServer(LOCALHOST);
  // A few at a time: each is a deno process, some start more.
  const slots = new Semaphore(2);
  await settleAll(
    ROWS.map((row) =>
      slots.runExclusive(() => runRowByUrl(clone, row, local.url))
    ),
  );
});

Deno.test("by URL: slow_server.ts serves the flags of the flags.zip of its host", async () => {
  await using clone = await servedClone();
  await using dir = await tempDir();
  const port = freePort();
  const child = denoCommand(
    ["run", clone.host.url + "slow_server.ts", "-p", String(port)],
    { permissions: ["-A", clone.reload], cwd: dir.path },
  ).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream());
  let printed = "";
  for await (const chunk of stdout) {
    printed += chunk;
    if (printed.includes("\n")) break; // listening
  }
  try {
    assert.equal(printed, `CUSTOM http://localhost:${port}/flags\n`);
    const response = await fetch(`http://localhost:${port}/flags/br/br.gif`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.bytes(), (await zipGifs()).get("br.gif"));
  } finally {
    child.kill("SIGINT");
  }
  const status = await child.status;
  assert.equal(status.code, 0, await stderr);
});

Deno.test("by URL: deno install gives a command that runs the script by its URL, and serves LOCAL", async () => {
  await using clone = await servedClone();
  await using root = await tempDir({ prefix: "flags2_root_" });
  await using dir = await tempDir();
  const name = "flags2-threadpool";
  const url = clone.host.url + START.script;
  const install = await denoCommand(
    ["install", "-g", "-A", "-n", name, "--root", root.path, url],
    { cwd: dir.path },
  ).output();
  assert.equal(install.code, 0, decode(install.stderr));
  const unserved = `http://localhost:${freePort()}/flags`;
  const out = await new Deno.Command(`${root.path}/bin/${name}`, {
    cwd: dir.path,
    env: { NO_COLOR: "1", FLAGS2_LOCAL_URL: unserved },
    stdin: "null",
  }).output();
  const result: RunResult = {
    code: out.code,
    signal: out.signal,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
  await assertRow(START, result, dir.path, unserved);
});

/** The `deno run` lines of docs/running.md's least permissions, as words. */
async function leastPermissionLines(): Promise<string[][]> {
  const page = await Deno.readTextFile(repoPath("docs/running.md"));
  const section = page.split(/^## /m)
    .find((part) => part.startsWith("The least permissions"));
  assert.ok(section, "no least permissions in docs/running.md");
  return lines(section)
    .filter((line) => line.startsWith("deno run --allow-"))
    .map((line) => line.split(" "));
}

Deno.test("docs/running.md's least permissions, by path from another folder and by URL, as written: the script serves LOCAL, 20 flags", async () => {
  const [byPath, byUrl, ...more] = await leastPermissionLines();
  assert.deepEqual(more, []);
  assert.equal(byPath.at(-1), "REPO/flags2_threadpool.ts");
  assert.equal(byUrl.at(-1), "BASE/flags2_threadpool.ts");
  const start = await Deno.readTextFile(repoPath("README.md"));
  const urlPermissions = byUrl.slice(2, -1).join(" ");
  assert.ok(
    start.includes(`\`${urlPermissions}\``),
    `the README does not say ${urlPermissions}`,
  );
  // REPO in a folder whose name needs escaping, as a path of one word.
  await using clone = await servedClone(`${AWKWARD_FOLDER}/flags2-deno`);
  const fill = (word: string) =>
    word.replaceAll("REPO", clone.dir)
      .replaceAll("BASE", clone.host.url.slice(0, -1))
      .replaceAll("HOST", clone.host.host);
  await settleAll([byPath, byUrl].map(async (words) => {
    await using dir = await tempDir();
    const unserved = `http://localhost:${freePort()}/flags`;
    const [script, ...permissions] = [words.at(-1)!, ...words.slice(2, -1)]
      .map(fill);
    const result = await runDeno(script, [], dir.path, {
      // LOCAL moved to a free port; fresh modules, as on a first run.
      permissions: [
        ...permissions,
        "--allow-env=FLAGS2_LOCAL_URL",
        clone.reload,
      ],
      env: { FLAGS2_LOCAL_URL: unserved },
    });
    await assertRow({ ...START, script }, result, dir.path, unserved);
  }));
});

Deno.test(`a clone in "${AWKWARD_FOLDER}" runs both pools, and serves LOCAL from its flags.zip`, async () => {
  await using clone = await servedClone(`${AWKWARD_FOLDER}/flags2-deno`);
  const pools = new Set([
    "primes/proc_pool.ts",
    "crypto/sha_futures.ts",
    "flags2_threadpool.ts",
  ]);
  const rows = ROWS.filter((row) => pools.has(row.script));
  assert.equal(rows.length, 5);
  const slots = new Semaphore(2);
  await settleAll(rows.map((row) =>
    slots.runExclusive(async () => {
      await using dir = await tempDir();
      const unserved = `http://localhost:${freePort()}/flags`;
      const result = await runDeno(
        `${clone.dir}/${row.script}`,
        row.args,
        dir.path,
        { env: { FLAGS2_LOCAL_URL: unserved } },
      );
      await assertRow(row, result, dir.path, row.serves ? unserved : undefined);
    })
  ));
});

/** The npm packages of a `DENO_DIR`'s cache, with their bytes on disk. */
async function npmPackages(denoDir: string): Promise<Map<string, number>> {
  const packages = new Map<string, number>();
  const size = async (path: string): Promise<number> => {
    const info = await Deno.lstat(path);
    if (!info.isDirectory) return info.size;
    let total = 0;
    for await (const entry of Deno.readDir(path)) {
      total += await size(`${path}/${entry.name}`);
    }
    return total;
  };
  const npm = `${denoDir}/npm`;
  for await (const registry of Deno.readDir(npm)) {
    if (!registry.isDirectory) continue;
    const names = [];
    for await (const entry of Deno.readDir(`${npm}/${registry.name}`)) {
      if (!entry.name.startsWith("@")) names.push(entry.name);
      else {
        const scope = `${npm}/${registry.name}/${entry.name}`;
        for await (const scoped of Deno.readDir(scope)) {
          names.push(`${entry.name}/${scoped.name}`);
        }
      }
    }
    for (const name of names) {
      packages.set(name, await size(`${npm}/${registry.name}/${name}`));
    }
  }
  return packages;
}

/** What goes wrong in a download from the npm registry, not in the script. */
const REGISTRY_TROUBLE =
  /error sending request|Failed caching npm package|Failed to download|connection|timed out|Bad response: 5/i;

/**
 * Runs `file` with an empty `DENO_DIR`, up to three times while the npm
 * registry fails to answer, each time with a new one.
 *
 * @returns the run, and the npm packages it left in its `DENO_DIR`
 */
async function firstRun(
  file: string,
  args: string[],
  cwd: string,
  permissions: string[],
): Promise<{ result: RunResult; packages: Map<string, number> }> {
  for (let attempt = 1;; attempt++) {
    await using denoDir = await tempDir({ prefix: "flags2_deno_dir_" });
    const result = await runDeno(file, args, cwd, {
      permissions,
      env: { DENO_DIR: denoDir.path },
    });
    const trouble = result.code !== 0 &&
      REGISTRY_TROUBLE.test(result.stderr);
    if (!trouble || attempt === 3) {
      return { result, packages: await npmPackages(denoDir.path) };
    }
  }
}

Deno.test("a first run with an empty DENO_DIR fetches only the npm packages its script imports, at most 3 MiB (it reaches the npm registry)", async () => {
  await using clone = await servedClone();
  await using local = await startServer(LOCALHOST);
  await using dir = await tempDir();
  const runs = [
    // From a clone, where deno.lock also holds the bench's packages.
    {
      file: `${clone.dir}/flags2_threadpool.ts`,
      cwd: clone.dir,
      permissions: ["-A"],
      packages: ["argparse", "fflate", "yocto-queue"],
    },
    {
      file: clone.host.url + "flags2_asyncio.ts",
      cwd: dir.path,
      permissions: ["-A", clone.reload],
      packages: ["argparse", "async-mutex", "fflate", "tslib", "yocto-queue"],
    },
  ];
  for (const run of runs) { // one after the other: each downloads
    const { result, packages } = await firstRun(
      run.file,
      ["-s", local.url, "BR"],
      run.cwd,
      run.permissions,
    );
    const why = describe(run.file, result);
    assert.equal(result.code, 0, why);
    assert.equal(parseReport(result.stdout).ok, 1, why);
    const sizes = [...packages].map(([name, bytes]) => `${name} ${bytes}`);
    assert.deepEqual([...packages.keys()].sort(), run.packages, `${sizes}`);
    const total = [...packages.values()].reduce((a, b) => a + b, 0);
    assert.ok(total <= 3 * 2 ** 20, `${total} bytes: ${sizes}`);
  }
});
