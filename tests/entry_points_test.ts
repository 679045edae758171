/**
 * End-to-end tests of the scripts' entry points beyond the flags2 scripts:
 * a missing permission said in one line, each script run with too few
 * permissions from a folder of its own; `flags.ts` and its kin's `-h`,
 * hint and error words; the scripts that take no argument.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer } from "../slow_server.ts";
import {
  decode,
  freePort,
  lines,
  listDir,
  LOCALHOST,
  repoPath,
  settleAll,
  tempDir,
} from "../testing/harness.ts";
import { denoCommand } from "../testing/process.ts";

/** `flags.ts` and its kin: the chapter's first downloaders. */
const SIMPLE = [
  "flags.ts",
  "flags_threadpool.ts",
  "flags_asyncio.ts",
  "flags_threadpool_ac.ts",
];

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
  ["crypto/sha_futures.ts", ["--allow-read=."], []],
  ["crypto/sha_futures.ts", ["--allow-read"], []],
  ["crypto/sha_futures.ts", ["--allow-read", "--allow-env"], []],
  ["crypto/sha_futures.ts", [], ["--threads"]],
  ["crypto/arcfour_futures.ts", ["--allow-read"], ["2"]],
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
      /\n {2}-s, --server LABEL +Server to hit; one of DELAY, ERROR, LOCAL, REMOTE, or a\n\s+base URL \(default=LOCAL\)\n/,
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
  const paths = ["demo_executor_map.ts", "crypto/arcfour.ts"];
  await settleAll(paths.map(async (path) => {
    const script = path.split("/").at(-1);
    const help = await runWith([], path, ["-h"], dir.path);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^usage: ${script} \\[-h\\]\n`));
    assert.match(help.stdout, /-h, --help +show this help message and exit/);
    // argparse's words for what it did not expect, all of it.
    const bad = await runWith([], path, ["x", "y", "--x"], dir.path);
    assert.equal(bad.code, 2, bad.stderr);
    assert.equal(bad.stdout, "");
    assert.deepEqual(lines(bad.stderr), [
      "*** Usage error: unrecognized arguments: x y --x",
      `usage: ${script} [-h]`,
    ]);
  }));
});
