/**
 * End-to-end tests of the embedded default server (`lib/default_server.ts`):
 * every downloader, run from a folder of its own with nothing at its label's
 * address, serves the label itself. Each test moves the label to a free port
 * with `FLAGS2_{LABEL}_URL`, so that no test needs 8001-8003.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startDefaultServer } from "../lib/default_server.ts";
import { startServer } from "../slow_server.ts";
import {
  assertGoodDownloads,
  cpuHog,
  decode,
  denoCommand,
  describe,
  freePort,
  LEAST_PERMISSIONS,
  lines,
  listDir,
  LOCALHOST,
  repoPath,
  runDeno,
  type RunResult,
  SCRIPT_NAMES,
  type ScriptName,
  scriptPath,
  settleAll,
  tempDir,
  total,
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

/** The line of a script whose server another script still uses at its end. */
function stillLine(label: string, url: string): string {
  return `*** Still serving ${label} at ${url}: another script downloads ` +
    "from it.";
}

/** Starts flags2_asyncio.ts with `args` from `cwd`, its outputs piped. */
function spawnAsyncio(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Deno.ChildProcess {
  const argv = ["run", scriptPath("asyncio"), ...args];
  return denoCommand(argv, { permissions: ["-A"], cwd, env }).spawn();
}

/** The end of a child of `spawnScript`, as `runDeno` tells it. */
async function ended(child: Deno.ChildProcess): Promise<RunResult> {
  const { code, signal, stdout, stderr } = await child.output();
  return { code, signal, stdout: decode(stdout), stderr: decode(stderr) };
}

/**
 * Resolves once `cwd/downloads` holds a flag: the script there has its
 * server, and downloads. (A file of another name may be the probe that
 * checks the folder can be written, made before the server.)
 */
async function downloading(cwd: string, child: Deno.ChildProcess) {
  let over = false;
  child.status.then(() => over = true);
  while (!over) {
    const names = await listDir(`${cwd}/downloads`).catch(() => []);
    if (names.some((name) => /^[a-z]{2}\.gif$/.test(name))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail("the script ended before its first flag");
}

/** The first line a child writes on standard error, and the rest to come. */
async function firstLine(child: Deno.ChildProcess) {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const rest = async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += r.value;
    }
    return text;
  };
  return { line: text.split("\n")[0], rest };
}

Deno.test("two scripts started at once on a loaded machine both succeed, the first to end while the other downloads", async () => {
  await using _hog = cpuHog();
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
  const serving = servingLine("DELAY", url);
  for (const result of [quick, slow]) {
    // Each serves (and may wait for the other at its end), or uses the other's.
    const allowed = ["", serving, `${serving}\n${stillLine("DELAY", url)}`];
    assert.ok(allowed.includes(result.stderr.trimEnd()), result.stderr);
  }
  await assertNothingListens(url);
});

Deno.test("a script started while another serves goes on when that one ends first, on a loaded machine", async () => {
  await using _hog = cpuHog();
  const { url, env } = movedLabel("DELAY");
  await using first = await tempDir();
  await using second = await tempDir();
  // 6 flags one at a time, 3 s; then 20 two at a time, 5 s.
  const codes = ["BR", "CN", "IN", "JP", "MX", "US"];
  const serving = spawnAsyncio(
    ["-s", "DELAY", "-m", "1", ...codes],
    first.path,
    env,
  );
  const said = await firstLine(serving);
  assert.equal(said.line, servingLine("DELAY", url));
  const later = await runDeno(
    scriptPath("asyncio"),
    ["-s", "DELAY", "-m", "2"],
    second.path,
    { env },
  );
  assertReport("flags2_asyncio.ts", later, 20);
  const { code } = await serving.status;
  const why = await said.rest();
  assert.equal(code, 0, why);
  await serving.stdout.cancel();
  await assertNothingListens(url);
});

Deno.test("a server's script ending while another script downloads from it waits for that one: all its flags, on a loaded machine", async () => {
  await using _hog = cpuHog();
  const { url, env } = movedLabel("DELAY");
  // This test serves DELAY as a script would, then ends as its script ends
  // while the other is downloading: 20 flags two at a time, 5 s.
  const server = await startDefaultServer("DELAY", url);
  assert.ok(server);
  await using dir = await tempDir();
  const child = spawnAsyncio(["-s", "DELAY", "-m", "2"], dir.path, env);
  await downloading(dir.path, child);
  const closed = server.close();
  const result = await ended(child);
  assertReport("flags2_asyncio.ts", result, 20);
  assert.equal(result.stderr, "", "it served DELAY itself");
  await closed;
  await assertNothingListens(url);
});

Deno.test("Ctrl-C ends the serving script at once; the script that used its server serves the port itself and goes on", async () => {
  const { url, env } = movedLabel("DELAY");
  await using first = await tempDir();
  await using second = await tempDir();
  // 20 flags one at a time, 10 s: Ctrl-C comes first.
  const serving = spawnAsyncio(["-s", "DELAY", "-m", "1"], first.path, env);
  const said = await firstLine(serving);
  assert.equal(said.line, servingLine("DELAY", url));
  const child = spawnAsyncio(["-s", "DELAY", "-m", "2"], second.path, env);
  await downloading(second.path, child);
  serving.kill("SIGINT");
  const { code } = await serving.status;
  assert.equal(code, 130, await said.rest());
  await serving.stdout.cancel();
  const result = await ended(child);
  const why = describe("flags2_asyncio.ts", result);
  assert.equal(result.code, 0, why);
  assert.deepEqual(lines(result.stderr), [servingLine("DELAY", url)], why);
  assert.equal(total(parseReport(result.stdout)), 20, why);
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
