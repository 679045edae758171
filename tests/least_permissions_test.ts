/**
 * The least permissions the docs print, in a real terminal with
 * `--no-prompt`, for every script of the README's table that downloads or
 * reads a command line: each runs to its end and needs nothing more (no env
 * access, which argparse would use for colours and width), by its path from
 * another folder (`--allow-read=REPO,downloads`) and, for the lines the docs
 * give so, from a copy of the repository's folder (`--allow-read=.`). A
 * downloader that may not read `downloads/`, where a flag is renamed into
 * place, stops before its first request with one line naming
 * `--allow-read=downloads`. Without `--no-prompt`, the downloaders on a
 * Worker pool ask for nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Semaphore } from "npm:async-mutex@0.5.0";
import { startServer } from "../slow_server.ts";
import {
  assertGoodDownloads,
  LEAST_PERMISSIONS,
  listDir,
  LOCALHOST,
  repoPath,
  SCRIPT_NAMES,
  type ScriptName,
  SCRIPTS,
  settleAll,
  tempDir,
} from "../testing/harness.ts";
import { denoArgv } from "../testing/process.ts";
import { drawnLines, runInTerminal } from "../testing/terminal.ts";

/** A downloader, and what a whole run of it shows and saves. */
interface Downloader {
  /** Its path from the repository's root. */
  file: string;
  /** The script whose file names it saves flags under. */
  names: ScriptName;
  /** How many flags it downloads. */
  count: number;
  /** Its last line. */
  done: RegExp;
}

/** Every downloader: flags.ts and its kin, the flags2 and flags3 scripts. */
const DOWNLOADERS: Downloader[] = [
  ...["flags.ts", "flags_threadpool.ts", "flags_asyncio.ts"].map((file) => ({
    file,
    names: "sequential" as const,
    count: 20,
    done: /^20 flags downloaded in /m,
  })),
  {
    file: "flags_threadpool_ac.ts",
    names: "sequential",
    count: 5,
    done: /^5 flags downloaded in /m,
  },
  ...SCRIPT_NAMES.map((names) => ({
    file: SCRIPTS[names],
    names,
    count: 20,
    done: /^20 flags downloaded\.$/m,
  })),
];

/** The folders and files of the repository that the scripts need. */
const CODE = ["lib", "futures", "crypto", "primes"];

/**
 * Copies the scripts, their modules and data, and deno.json, into `dest`:
 * a repository's folder to run from with `--allow-read=.`, which the tests
 * must not write `downloads/` into.
 */
async function copyCode(dest: string): Promise<void> {
  const copy = async (relative: string) => {
    const from = repoPath(relative);
    if ((await Deno.stat(from)).isDirectory) {
      await Deno.mkdir(`${dest}/${relative}`);
      for await (const entry of Deno.readDir(from)) {
        await copy(`${relative}/${entry.name}`);
      }
    } else {
      await Deno.copyFile(from, `${dest}/${relative}`);
    }
  };
  for await (const entry of Deno.readDir(repoPath(""))) {
    const top = entry.isFile && /\.(ts|txt|zip|json|lock)$/.test(entry.name);
    if (top || CODE.includes(entry.name)) await copy(entry.name);
  }
}

/** One run in the terminal: where from, with what, and what it must show. */
interface Run {
  /** The script, by its path. */
  script: string;
  args: string[];
  permissions: readonly string[];
  /** The folder it runs from. */
  cwd: string;
  code: number;
  /** What the terminal must show. */
  shows: RegExp[];
  /** After the run, e.g. the flags it saved. */
  check?: () => Promise<void>;
}

/** Runs `run` in a terminal 80 columns wide and asserts what it showed. */
async function assertRun(run: Run): Promise<void> {
  const argv = denoArgv(
    ["run", run.script, ...run.args],
    ["--no-prompt", ...run.permissions],
  );
  // A terminal's environment: colours not turned off.
  const env = { TERM: "xterm-256color" };
  const { code, screen } = await runInTerminal(argv, { cwd: run.cwd, env });
  const shown = drawnLines(screen).join("\n");
  const why = `${
    argv.slice(1).join(" ")
  } in ${run.cwd}: exit ${code}\n${shown}`;
  assert.equal(code, run.code, why);
  assert.doesNotMatch(shown, /env access|NotCapable|Deno requests/, why);
  for (const pattern of run.shows) assert.match(shown, pattern, why);
  await run.check?.();
}

Deno.test("in a terminal, --no-prompt: the documented least permissions run every script to its end, by path and from the repository's folder", async () => {
  await using server = await startServer({
    ...LOCALHOST,
    hostname: "localhost",
  });
  await using repo = await tempDir({ prefix: "flags2_repo_" });
  await copyCode(repo.path);
  const folders: AsyncDisposable[] = [];
  const folder = async () => {
    const dir = await tempDir();
    folders.push(dir);
    return dir.path;
  };
  const runs: Run[] = [];
  for (const { file, names, count, done } of DOWNLOADERS) {
    const cwd = await folder();
    runs.push({
      script: repoPath(file),
      args: ["-s", server.url],
      permissions: LEAST_PERMISSIONS,
      cwd,
      code: 0,
      shows: [done],
      check: async () => {
        assert.equal((await assertGoodDownloads(cwd, names)).length, count);
      },
    });
    // -h, with the same permissions, in the terminal's width.
    runs.push({
      script: repoPath(file),
      args: ["-h"],
      permissions: LEAST_PERMISSIONS,
      cwd: await folder(),
      code: 0,
      shows: [new RegExp(`^usage: ${RegExp.escape(file)} \\[-h\\]`)],
    });
  }
  // The docs' line from the repository's folder, its downloads/ there.
  runs.push({
    script: "flags2_threadpool.ts",
    args: ["-s", server.url, "-v"],
    permissions: [
      "--allow-net=localhost",
      "--allow-read=.",
      "--allow-write=downloads",
    ],
    cwd: repo.path,
    code: 0,
    shows: [/^BR OK$/m, /^20 flags downloaded\.$/m],
    check: async () => {
      assert.equal((await assertGoodDownloads(repo.path)).length, 20);
    },
  });
  // The CPU scripts: nothing on the main thread, read access on Workers,
  // and --allow-read=. --allow-run --allow-env on processes.
  runs.push(
    {
      script: repoPath("crypto/sha_futures.ts"),
      args: ["--plain"],
      permissions: [],
      cwd: await folder(),
      code: 0,
      shows: [/^0 workers, elapsed time: /m],
    },
    {
      script: repoPath("crypto/arcfour_futures.ts"),
      args: ["--threads", "2"],
      permissions: ["--allow-read"],
      cwd: await folder(),
      code: 0,
      shows: [/^2 workers, elapsed time: /m],
    },
    {
      script: "crypto/sha_futures.ts",
      args: ["2"],
      permissions: ["--allow-read=.", "--allow-run", "--allow-env"],
      cwd: repo.path,
      code: 0,
      shows: [/^2 workers, elapsed time: /m],
    },
    {
      script: "primes/proc_pool.ts",
      args: ["2"],
      permissions: ["--allow-read=.", "--allow-run", "--allow-env"],
      cwd: repo.path,
      code: 0,
      shows: [/^Checking 20 numbers with 2 processes:$/m, /^Total time: /m],
    },
    {
      script: repoPath("demo_executor_map.ts"),
      args: [],
      permissions: [`--allow-read=${repoPath("")}`],
      cwd: await folder(),
      code: 0,
      shows: [/ result 4: 40$/m],
    },
  );
  const slots = new Semaphore(4);
  try {
    await settleAll(
      runs.map((run) => slots.runExclusive(() => assertRun(run))),
    );
  } finally {
    for (const dir of folders) await dir[Symbol.asyncDispose]();
  }
});

Deno.test("in a terminal, --no-prompt: a downloader that may write downloads/ but not read it stops before its first request, with one line naming --allow-read=downloads", async () => {
  await using server = await startServer({
    ...LOCALHOST,
    hostname: "localhost",
  });
  const permissions = [
    "--allow-net=localhost",
    `--allow-read=${repoPath("")}`,
    "--allow-write=downloads",
  ];
  const line = "*** Cannot write to downloads/: a file is written aside, " +
    "then renamed into place, which requires read access, run again with " +
    "the --allow-read=downloads flag";
  await settleAll(DOWNLOADERS.map(async ({ file }) => {
    await using dir = await tempDir();
    await assertRun({
      script: repoPath(file),
      args: ["-s", server.url],
      permissions,
      cwd: dir.path,
      code: 1,
      shows: [new RegExp(`^${RegExp.escape(line)}$`, "m")],
      check: async () => {
        assert.deepEqual(await listDir(`${dir.path}/downloads`), []);
      },
    });
  }));
  assert.equal(server.peak(), 0, "a request was made");
});

Deno.test("in a terminal, without --no-prompt: the documented least permissions ask for nothing, Worker pools included", async () => {
  await using server = await startServer({
    ...LOCALHOST,
    hostname: "localhost",
  });
  const pooled = DOWNLOADERS.filter(({ file }) => /threadpool/.test(file));
  await settleAll(pooled.map(async ({ file, done }) => {
    await using dir = await tempDir();
    const argv = denoArgv(
      ["run", repoPath(file), "-s", server.url],
      LEAST_PERMISSIONS,
    );
    // A prompt would wait for an answer: one is typed, and the test fails.
    const { code, screen, typed } = await runInTerminal(argv, {
      cwd: dir.path,
      env: { TERM: "xterm-256color" },
      type: { when: /Deno requests/, keys: "n\r" },
    });
    const shown = drawnLines(screen).join("\n");
    const why = `${file}: exit ${code}\n${shown}`;
    assert.ok(!typed, why);
    assert.doesNotMatch(shown, /Deno requests/, why);
    assert.equal(code, 0, why);
    assert.match(shown, done, why);
  }));
});
