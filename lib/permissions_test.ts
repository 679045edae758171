/**
 * Tests of lib/permissions.ts, each in a small script of its own run with
 * few permissions: a permission checked up front, and one found missing
 * later, are one line and exit 1; anything else is left to Deno. Run by
 * its URL, the code needs import and net access to its host, not read.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  lines,
  repoPath,
  type RunResult,
  runSource,
} from "../testing/harness.ts";
import { serveRaw } from "../testing/raw_host.ts";

const PERMISSIONS = new URL("./permissions.ts", import.meta.url).href;

/** Runs `code`, after an import of permissions.ts, with `permissions`. */
function runCode(code: string, permissions: string[] = []): Promise<RunResult> {
  return runSource(
    `import { exitOnMissingPermission, LOAD_CODE } from "${PERMISSIONS}";\n` +
      "void LOAD_CODE;\n" + code,
    permissions,
  );
}

Deno.test("a permission needed up front: one line naming the flag, exit 1", async () => {
  const run = await runCode(
    'exitOnMissingPermission(LOAD_CODE);\nconsole.log("ran on");',
  );
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, "");
  assert.deepEqual(lines(run.stderr), [
    `*** Missing permission: Requires read access to "${repoPath("")}", ` +
    "run again with the --allow-read flag",
  ]);
});

Deno.test("granted, it returns and the script runs on", async () => {
  const run = await runCode(
    'exitOnMissingPermission(LOAD_CODE);\nconsole.log("ran on");',
    [`--allow-read=${repoPath("")}`],
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "ran on\n");
});

Deno.test("a permission found missing later, in an error that escapes: Deno's words on one line, exit 1", async () => {
  const run = await runCode(
    'exitOnMissingPermission();\nawait Deno.readTextFile("/etc/hostname");',
  );
  assert.equal(run.code, 1, run.stderr);
  assert.equal(lines(run.stderr).length, 1, run.stderr);
  assert.match(
    run.stderr,
    /^\*\*\* Missing permission: Requires read access to "\/etc\/hostname", run again with the --allow-read flag\n$/,
  );
});

Deno.test("any other error that escapes is Deno's to report", async () => {
  const run = await runCode(
    'exitOnMissingPermission();\nthrow new RangeError("not a permission");',
  );
  assert.equal(run.code, 1);
  assert.doesNotMatch(run.stderr, /Missing permission/);
  assert.match(run.stderr, /RangeError: not a permission/);
});

Deno.test("run by its URL, loading the code is import access to its host and port, reading its data net access", async () => {
  await using host = await serveRaw(repoPath(""));
  const run = await runSource(
    `import { LOAD_CODE, READ_DATA } from "${host.url}lib/permissions.ts";\n` +
      "console.log(JSON.stringify([LOAD_CODE, READ_DATA]));",
    [`--allow-import=${host.host}`],
  );
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), [
    { name: "import", host: host.host },
    { name: "net", host: host.host },
  ]);
});
