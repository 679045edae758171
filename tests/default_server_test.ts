/**
 * End-to-end tests of the embedded default server (`lib/default_server.ts`):
 * every downloader, run from a folder of its own with nothing at its label's
 * address, serves the label itself. Each test moves the label to a free port
 * with `FLAGS2_{LABEL}_URL`, so that no test needs 8001-8003.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer } from "../slow_server.ts";
import {
  assertGoodDownloads,
  denoCommand,
  describe,
  freePort,
  LEAST_PERMISSIONS,
  lines,
  LOCALHOST,
  repoPath,
  runDeno,
  type RunResult,
  SCRIPT_NAMES,
  type ScriptName,
  scriptPath,
  settleAll,
  tempDir,
} from "../testing/harness.ts";
import { parseReport } from "../testing/report.ts";

/** flags.ts and its kin: they print no report, only the count. */
const SIMPLE = [
  "flags.ts",
  "flags_threadpool.ts",
  "flags_asyncio.ts",
  "flags_threadpool_ac.ts",
];
/** Every downloader, by path, with the flags2 name of those that have one. */
const DOWNLOADERS: (readonly [string, ScriptName | undefined])[] = [
  ...SIMPLE.map((script) => [repoPath(script), undefined] as const),
  ...SCRIPT_NAMES.map((name) => [scriptPath(name), name] as const),
];

/** The one line a script prints when it serves `label` at `url`. */
function servingLine(label: string, url: string): string {
  return `*** Serving ${label} at ${url} from flags.zip while this script ` +
    `runs; "deno task serve" keeps the test servers running between runs.`;
}

/** `label` moved to a free port of localhost: its URL and environment. */
function movedLabel(
  label = "LOCAL",
): { url: string; env: Record<string, string> } {
  const url = `http://localhost:${freePort()}/flags`;
  return { url, env: { [`FLAGS2_${label}_URL`]: url } };
}

/** Asserts that nothing accepts connections at `url` any more. */
async function assertNothingListens(url: string): Promise<void> {
  const { port } = new URL(url);
  await assert.rejects(
    Deno.connect({ hostname: "localhost", port: Number(port) }),
    Deno.errors.ConnectionRefused,
    `something still listens at ${url}`,
  );
}

/** Asserts the flags2 report of `result`: `ok` flags, no error. */
function assertReport(script: string, result: RunResult, ok: number): void {
  const why = describe(script, result);
  assert.equal(result.code, 0, why);
  const { ok: got, notFound, errors } = parseReport(result.stdout);
  assert.deepEqual({ ok: got, notFound, errors }, {
    ok,
    notFound: 0,
    errors: 0,
  }, why);
}

Deno.test("every downloader with nothing at LOCAL serves it itself: the flags, one line on stderr, exit 0, nothing left listening", async () => {
  await settleAll(DOWNLOADERS.map(async ([script, name]) => {
    await using dir = await tempDir();
    const { url, env } = movedLabel();
    const result = await runDeno(script, [], dir.path, { env });
    const why = describe(script, result);
    assert.equal(result.code, 0, why);
    assert.deepEqual(lines(result.stderr), [servingLine("LOCAL", url)], why);
    if (name) assert.equal(lines(result.stdout)[0], `LOCAL site: ${url}`, why);
    const saved = await assertGoodDownloads(dir.path, name);
    assert.equal(saved.length, script.endsWith("_ac.ts") ? 5 : 20, why);
    await assertNothingListens(url);
  }));
});

Deno.test("a server already there is used: no line on stderr", async () => {
  // No reusePort, as `deno task serve`: it holds the port alone.
  await using server = await startServer({
    ...LOCALHOST,
    hostname: "localhost",
  });
  const env = { FLAGS2_LOCAL_URL: server.url };
  await settleAll(["flags2_asyncio.ts", "flags.ts"].map(async (script) => {
    await using dir = await tempDir();
    const result = await runDeno(repoPath(script), [], dir.path, { env });
    const why = describe(script, result);
    assert.equal(result.code, 0, why);
    assert.equal(result.stderr, "", why);
    assert.equal((await assertGoodDownloads(dir.path)).length, 20, why);
  }));
  assert.ok(server.peak() > 0, "the server there got no request");
});

Deno.test("two scripts started at once both succeed, the first to end while the other downloads", async () => {
  const { url, env } = movedLabel("DELAY");
  await using short = await tempDir();
  await using long = await tempDir();
  const [quick, slow] = await settleAll([
    runDeno(scriptPath("threadpool"), ["-s", "DELAY"], short.path, { env }),
    runDeno(scriptPath("asyncio"), ["-s", "DELAY", "-m", "4"], long.path, {
      env,
    }),
  ]);
  assertReport("flags2_threadpool.ts", quick, 20);
  assertReport("flags2_asyncio.ts", slow, 20);
  for (const result of [quick, slow]) {
    // Each serves, or uses the other's.
    assert.ok(
      ["", servingLine("DELAY", url) + "\n"].includes(result.stderr),
      result.stderr,
    );
  }
  await assertNothingListens(url);
});

Deno.test("a script started while another serves goes on when that one ends first", async () => {
  const { url, env } = movedLabel("DELAY");
  await using first = await tempDir();
  await using second = await tempDir();
  // 4 flags one at a time, 2 s; then 20 two at a time, 5 s.
  const serving = denoCommand(
    [
      "run",
      scriptPath("asyncio"),
      "-s",
      "DELAY",
      "-m",
      "1",
      "BR",
      "CN",
      "IN",
      "JP",
    ],
    { permissions: ["-A"], cwd: first.path, env, stdout: "null" },
  ).spawn();
  const stderr = serving.stderr.pipeThrough(new TextDecoderStream())
    .getReader();
  const said = await stderr.read();
  assert.equal(said.value, servingLine("DELAY", url) + "\n");
  const later = await runDeno(
    scriptPath("asyncio"),
    ["-s", "DELAY", "-m", "2"],
    second.path,
    { env },
  );
  assertReport("flags2_asyncio.ts", later, 20);
  assert.equal((await serving.status).code, 0);
  await stderr.cancel();
  await assertNothingListens(url);
});

Deno.test("Ctrl-C: exit 130 and nothing left listening", async () => {
  // One flag at a time, 10 s in all: Ctrl-C comes before the end.
  const runs: [string, string[]][] = [
    ["flags2_asyncio.ts", ["-s", "DELAY", "-m", "1"]],
    ["flags.ts", ["-s", "DELAY"]],
  ];
  await settleAll(runs.map(async ([script, args]) => {
    await using dir = await tempDir();
    const { url, env } = movedLabel("DELAY");
    const child = denoCommand(["run", repoPath(script), ...args], {
      permissions: ["-A"],
      cwd: dir.path,
      env,
      stdout: "null",
    }).spawn();
    const stderr = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    const said = await stderr.read(); // the server listens
    assert.equal(said.value, servingLine("DELAY", url) + "\n", script);
    child.kill("SIGINT");
    const { code } = await child.status;
    await stderr.cancel();
    assert.equal(code, 130, script);
    await assertNothingListens(url);
  }));
});

Deno.test("least permissions: net to localhost, read of the code, write to downloads/, the one variable that moves the label", async () => {
  await settleAll(["flags2_threadpool.ts", "flags.ts"].map(async (script) => {
    await using dir = await tempDir();
    const { url, env } = movedLabel();
    const result = await runDeno(repoPath(script), [], dir.path, {
      env,
      permissions: [...LEAST_PERMISSIONS, "--allow-env=FLAGS2_LOCAL_URL"],
    });
    const why = describe(script, result);
    assert.equal(result.code, 0, why);
    assert.deepEqual(lines(result.stderr), [servingLine("LOCAL", url)], why);
    assert.equal((await assertGoodDownloads(dir.path)).length, 20, why);
  }));
});

Deno.test("ERROR served by the script answers some requests 418, as deno task serve's", async () => {
  await using dir = await tempDir();
  const { url, env } = movedLabel("ERROR");
  const result = await runDeno(
    scriptPath("asyncio"),
    ["-s", "ERROR", "-a", "-m", "200", "-v"],
    dir.path,
    { env },
  );
  const why = describe("flags2_asyncio.ts", result);
  assert.equal(result.code, 0, why);
  assert.deepEqual(lines(result.stderr), [servingLine("ERROR", url)], why);
  const { ok, errors } = parseReport(result.stdout);
  assert.ok(ok > 0 && errors > 0 && ok + errors === 194, why);
  assert.match(result.stdout, /HTTP error 418/, why);
});

Deno.test("-s URL with nothing there is never served: connection errors, no line", async () => {
  const url = `http://localhost:${freePort()}/flags`;
  await settleAll(["flags2_asyncio.ts", "flags.ts"].map(async (script) => {
    await using dir = await tempDir();
    const result = await runDeno(repoPath(script), ["-s", url], dir.path);
    const why = describe(script, result);
    assert.doesNotMatch(result.stderr, /Serving/, why);
    if (script === "flags.ts") {
      assert.equal(result.code, 1, why);
      assert.deepEqual(lines(result.stderr), [
        `*** Download from ${url} failed: Connection error`,
      ], why);
    } else {
      assert.equal(result.code, 0, why);
      assert.equal(parseReport(result.stdout).errors, 20, why);
    }
  }));
  await assertNothingListens(url);
});
