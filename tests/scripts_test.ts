/**
 * End-to-end tests of the download scripts, run as a reader runs them:
 * `deno run -A flags2_xxx.ts ... -s URL` from a fresh temporary directory,
 * against real slow_server.ts servers on 127.0.0.1.
 *
 * @module
 */

import assert from "node:assert/strict";
import { getFlag } from "../flags2_sequential.ts";
import { ConnectionError, errorMessage, HTTPStatusError } from "../lib/http.ts";
import { ThreadPoolExecutor } from "../futures.ts";
import { parseReport } from "../testing/report.ts";
import { PRESETS, startServer } from "../slow_server.ts";
import {
  assertGoodDownloads,
  describe,
  FLAGS3,
  freePort,
  LEAST_PERMISSIONS,
  lines,
  listDir,
  LOCALHOST,
  repoPath,
  runDeno,
  type RunResult,
  savedFlags,
  savedName,
  SCRIPT_NAMES,
  scriptCommand,
  type ScriptName,
  scriptPath,
  settleAll,
  tempDir,
  total,
} from "../testing/harness.ts";
import { denoCommand } from "../testing/process.ts";

const DASHES = "-".repeat(20);
const ELAPSED = /^Elapsed time: \d+\.\d\ds$/;
const DEFAULT_CONCURRENCY: Record<ScriptName, number> = {
  sequential: 1,
  asyncio: 5,
  threadpool: 30,
  asyncio_executor: 5,
  flags3_threadpool: 30,
  flags3_asyncio: 5,
};
/** The scripts on Workers, which print a pool line with -v. */
const POOLED: ReadonlySet<ScriptName> = new Set([
  "threadpool",
  "flags3_threadpool",
]);
const OK_LINE = /^([A-Z]{2}) OK$/;
const NOT_FOUND_LINE = /^([A-Z]{2}) not found$/;
const TEAPOT_LINE =
  /^\*\*\* Error for ([A-Z]{2}): HTTP error 418 - I'm a Teapot$/;
const A_Z = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** The codes a list of letters stands for, sorted. */
function codesOf(...letters: string[]): string[] {
  return letters.flatMap((l) => [...A_Z].map((c) => l + c)).sort();
}

/** The threadpool's last verbose line, before the report. */
const POOL_LINE =
  /^The pool created (\d+) Workers?; at most (\d+) downloads? ran at once\.$/;

/**
 * The per-code lines of a verbose run: those between the header and the
 * dashes, but for the threadpool's pool line, checked to be the last of them.
 */
function perCodeLines(script: ScriptName, stdout: string): string[] {
  const all = lines(stdout);
  const dashes = all.indexOf(DASHES);
  assert.ok(dashes >= 3, `no separator in\n${stdout}`);
  const perCode = all.slice(3, dashes);
  if (POOLED.has(script)) {
    assert.match(perCode.pop() ?? "", POOL_LINE, stdout);
  }
  assert.ok(!perCode.some((line) => POOL_LINE.test(line)), stdout);
  return perCode;
}

Deno.test("LOCAL -e: 194 flags saved byte for byte, 482 not found, report in order", async () => {
  await using server = await startServer(LOCALHOST);
  await settleAll(
    SCRIPT_NAMES.map(async (script) => {
      await using dir = await tempDir();
      const args = ["-e", "-s", server.url];
      const result = await runDeno(scriptPath(script), args, dir.path);
      const why = describe(script, result);
      assert.equal(result.code, 0, why);
      const out = lines(result.stdout);
      const n = DEFAULT_CONCURRENCY[script];
      assert.equal(out.length, 7, why);
      assert.deepEqual(out.slice(0, 6), [
        `CUSTOM site: ${server.url}`,
        "Searching for 676 flags: from AA to ZZ",
        `${n} concurrent connection${n === 1 ? "" : "s"} will be used.`,
        DASHES,
        "194 flags downloaded.",
        "482 not found.",
      ], why);
      assert.match(out[6], ELAPSED, why);
      assert.ok(!/error/i.test(result.stdout), why);
      const saved = await assertGoodDownloads(dir.path, script);
      assert.equal(saved.length, 194, why);
      const flags = await savedFlags(script);
      assert.deepEqual(saved, [...flags.keys()].sort(), why);
    }),
  );
});

Deno.test("ERROR server -v: a line per code, counts add up, some 418s", async () => {
  const codes = codesOf("A", "B", "C", "D");
  await settleAll(SCRIPT_NAMES.map(async (script) => {
    await using server = await startServer({
      ...LOCALHOST,
      errorRate: 0.25,
      delay: 0.05,
      delayRate: 0.5,
      seed: 7,
    });
    await using dir = await tempDir();
    const args = ["-v", "-s", server.url, "A", "B", "C", "D"];
    const result = await runDeno(scriptPath(script), args, dir.path);
    const why = describe(script, result);
    assert.equal(result.code, 0, why);
    const report = parseReport(result.stdout);
    assert.equal(total(report), codes.length, why);
    assert.ok(report.errors > 0, why);
    const seen: string[] = [];
    const counts = { ok: 0, notFound: 0, errors: 0 };
    for (const line of perCodeLines(script, result.stdout)) {
      const ok = OK_LINE.exec(line);
      const notFound = NOT_FOUND_LINE.exec(line);
      const teapot = TEAPOT_LINE.exec(line);
      const match = ok ?? notFound ?? teapot;
      assert.ok(match, `unexpected line ${JSON.stringify(line)}\n${why}`);
      seen.push(match[1]);
      if (ok) counts.ok++;
      else if (notFound) counts.notFound++;
      else counts.errors++;
    }
    assert.deepEqual(seen.toSorted(), codes, why);
    const { ok, notFound, errors } = report;
    assert.deepEqual(counts, { ok, notFound, errors }, why);
    const saved = await assertGoodDownloads(dir.path, script);
    assert.equal(saved.length, report.ok, why);
  }));
});

Deno.test("no server listening: every code is a connection error", async () => {
  const url = `http://127.0.0.1:${freePort()}/flags`;
  await settleAll(
    SCRIPT_NAMES.map(async (script) => {
      await using dir = await tempDir();
      const args = ["-v", "-s", url, "A", "B"];
      const result = await runDeno(scriptPath(script), args, dir.path);
      const why = describe(script, result);
      assert.equal(result.code, 0, why);
      assert.match(result.stdout, /^0 flags downloaded\.$/m, why);
      assert.match(result.stdout, /^52 errors\.$/m, why);
      assert.doesNotMatch(result.stdout, /not found\.$/m, why);
      const perCode = perCodeLines(script, result.stdout);
      assert.deepEqual(
        perCode.toSorted(),
        codesOf("A", "B").map((cc) => `*** Error for ${cc}: Connection error`),
        why,
      );
      assert.deepEqual(await listDir(`${dir.path}/downloads`), [], why);
      // A URL of one's own is no test server: no hint.
      assert.equal(result.stderr, "", why);
    }),
  );
});

Deno.test("no server listening, one code: the singulars", async () => {
  const url = `http://127.0.0.1:${freePort()}/flags`;
  await using dir = await tempDir();
  const args = ["-v", "-s", url, "BR"];
  const result = await runDeno(scriptPath("asyncio"), args, dir.path);
  const why = describe("asyncio", result);
  assert.equal(result.code, 0, why);
  const out = lines(result.stdout);
  assert.deepEqual(out.slice(1, 7), [
    "Searching for 1 flag: BR",
    "1 concurrent connection will be used.",
    "*** Error for BR: Connection error",
    DASHES,
    "0 flags downloaded.",
    "1 error.",
  ], why);
});

Deno.test("a response later than 3.1 s is a timeout error", async () => {
  await using server = await startServer({ ...LOCALHOST, delay: 4 });
  await settleAll(
    SCRIPT_NAMES.map(async (script) => {
      await using dir = await tempDir();
      const args = ["-v", "-s", server.url, "BR"];
      const result = await runDeno(scriptPath(script), args, dir.path);
      const why = describe(script, result);
      assert.equal(result.code, 0, why);
      assert.deepEqual(perCodeLines(script, result.stdout), [
        "*** Error for BR: Timeout after 3.1s",
      ], why);
      assert.match(result.stdout, /^1 error\.$/m, why);
      assert.match(result.stdout, /^0 flags downloaded\.$/m, why);
      assert.deepEqual(await listDir(`${dir.path}/downloads`), [], why);
    }),
  );
});

Deno.test("the errors of downloadOne keep their class in a Worker", async () => {
  await using server = await startServer({ ...LOCALHOST, errorRate: 1 });
  const nowhere = `http://127.0.0.1:${freePort()}/flags`;
  await using executor = new ThreadPoolExecutor(
    3,
    import.meta.resolve("../flags2_sequential.ts"),
  );
  const [teapot, refused, invalid] = await Promise.all(
    [server.url, nowhere, "not a url"].map((url) =>
      executor.submit(getFlag, url, "BR").result().catch((exc) => exc)
    ),
  );
  assert.ok(teapot instanceof HTTPStatusError, String(teapot));
  assert.equal(teapot.status, 418);
  assert.equal(await errorMessage(teapot), "HTTP error 418 - I'm a Teapot");
  assert.ok(refused instanceof ConnectionError, String(refused));
  assert.equal(await errorMessage(refused), "Connection error");
  assert.ok(invalid instanceof TypeError, String(invalid));
  assert.match(await errorMessage(invalid), /^Invalid URL/);
});

Deno.test("threadpool -v: the last line before the report counts the Workers and the peak", async () => {
  await using server = await startServer({ ...LOCALHOST, delay: 0.2 });
  await using dir = await tempDir();
  const args = ["-v", "-m", "5", "-s", server.url, "A", "B"];
  const result = await runDeno(scriptPath("threadpool"), args, dir.path);
  const why = describe("threadpool", result);
  assert.equal(result.code, 0, why);
  assert.equal(perCodeLines("threadpool", result.stdout).length, 52, why);
  const out = lines(result.stdout);
  const match = POOL_LINE.exec(out[out.indexOf(DASHES) - 1]);
  assert.ok(match, why);
  const [workers, peak] = [Number(match[1]), Number(match[2])];
  assert.equal(peak, server.peak(), why);
  // Downloads await: one Worker carries them (two if one was slow to say so).
  assert.ok(workers <= 2 && peak <= 5, why);
});

/** Runs `script` against a fresh delay server; returns the server's peak and the announced concurrency. */
async function peakOf(
  script: ScriptName,
  delay: number,
  args: string[],
): Promise<{ peak: number; announced: number }> {
  await using server = await startServer({ ...LOCALHOST, delay });
  await using dir = await tempDir();
  const result = await runDeno(
    scriptPath(script),
    [...args, "-s", server.url],
    dir.path,
  );
  const why = describe(script, result);
  assert.equal(result.code, 0, why);
  const announced = /^(\d+) concurrent connections? will be used\.$/m.exec(
    result.stdout,
  );
  assert.ok(announced, why);
  assert.equal(
    total(parseReport(result.stdout)),
    Number(
      /^Searching for (\d+) flags?/m.exec(result.stdout)?.[1],
    ),
    why,
  );
  return { peak: server.peak(), announced: Number(announced[1]) };
}

Deno.test("concurrency: the server sees min(-m, codes) requests at once (sequential, asyncio and kin)", async () => {
  const cases: [ScriptName, string[], number][] = [
    ["sequential", ["-l", "5", "B"], 1],
    ["sequential", ["-m", "5", "-l", "5", "B"], 1],
    ["asyncio", ["-m", "1", "-l", "8", "B"], 1],
    ["asyncio", ["-m", "5", "A", "B", "C", "D"], 5],
    ["asyncio", ["-m", "50", "A", "B", "C", "D"], 50],
    ["asyncio", ["-m", "1000", "B"], 26],
    ["asyncio_executor", ["-m", "5", "A", "B", "C", "D"], 5],
    ["flags3_asyncio", ["-m", "5", "A", "B", "C", "D"], 5],
  ];
  await settleAll(cases.map(async ([script, args, expected]) => {
    const { peak, announced } = await peakOf(script, 0.2, args);
    const what = `${script} ${args.join(" ")}`;
    assert.equal(announced, expected, what);
    assert.equal(peak, expected, what);
  }));
});

Deno.test("concurrency: the server sees min(-m, codes) requests at once (threadpool)", async () => {
  const cases: [number, string[], number][] = [
    [0.2, ["-m", "1", "-l", "8", "B"], 1],
    [0.2, ["-m", "5", "A", "B", "C", "D"], 5],
    [0.1, ["-m", "30", "-e"], 30],
  ];
  await settleAll(cases.map(async ([delay, args, expected]) => {
    const { peak, announced } = await peakOf("threadpool", delay, args);
    const what = `threadpool ${args.join(" ")}`;
    assert.equal(announced, expected, what);
    assert.equal(peak, expected, what);
  }));
});

Deno.test("-l 3 B, and no codes at all: the POP20", async () => {
  await using server = await startServer(LOCALHOST);
  const pop20 = "BD BR CD CN DE EG ET FR ID IN IR JP MX NG PH PK RU TR US VN"
    .split(" ");
  /** The names `script` saves the flags of `codes` under, sorted. */
  const names = async (script: ScriptName, codes: string[]) =>
    (await Promise.all(codes.map((cc) => savedName(script, cc)))).sort();
  await settleAll([
    ...SCRIPT_NAMES.map(async (script) => {
      await using dir = await tempDir();
      const args = ["-l", "3", "-s", server.url, "B"];
      const res = await runDeno(scriptPath(script), args, dir.path);
      const why = describe(script, res);
      assert.equal(res.code, 0, why);
      assert.equal(
        lines(res.stdout)[1],
        "Searching for 3 flags: BA, BB, BC",
        why,
      );
      const { ok, notFound, errors } = parseReport(res.stdout);
      assert.deepEqual({ ok, notFound, errors }, {
        ok: 2,
        notFound: 1,
        errors: 0,
      }, why);
      assert.deepEqual(
        await assertGoodDownloads(dir.path, script),
        await names(script, ["BA", "BB"]),
        why,
      );
    }),
    ...SCRIPT_NAMES.map(async (script) => {
      await using dir = await tempDir();
      const res = await runDeno(
        scriptPath(script),
        ["-s", server.url],
        dir.path,
      );
      const why = describe(script, res);
      assert.equal(res.code, 0, why);
      assert.equal(
        lines(res.stdout)[1],
        "Searching for 20 flags: from BD to VN",
        why,
      );
      assert.match(res.stdout, /^20 flags downloaded\.$/m, why);
      assert.deepEqual(
        await assertGoodDownloads(dir.path, script),
        await names(script, pop20),
        why,
      );
    }),
  ]);
});

Deno.test("downloads/ cannot be written: one clear line, no stack trace", async () => {
  await using server = await startServer(LOCALHOST);
  await settleAll(SCRIPT_NAMES.map(async (script) => {
    await using dir = await tempDir();
    await Deno.writeTextFile(`${dir.path}/downloads`, "not a directory\n");
    const result = await runDeno(
      scriptPath(script),
      ["-s", server.url, "BR"],
      dir.path,
    );
    const why = describe(script, result);
    assert.notEqual(result.code, 0, why);
    const errors = lines(result.stderr);
    assert.equal(
      errors.filter((l) => l.startsWith("*** Cannot write to downloads/: "))
        .length,
      1,
      why,
    );
    assert.ok(!errors.some((l) => /^\s+at /.test(l)), why);
    assert.equal(
      await Deno.readTextFile(`${dir.path}/downloads`),
      "not a directory\n",
      why,
    );
    assert.deepEqual(await listDir(dir.path), ["downloads"], why);
  }));
});

Deno.test("--trace to a folder that does not exist: one clear line, exit 1, no download", async () => {
  await using server = await startServer(LOCALHOST);
  const trace = "/nonexistent/dir/t.jsonl";
  await settleAll(SCRIPT_NAMES.map(async (script) => {
    await using dir = await tempDir();
    const result = await runDeno(
      scriptPath(script),
      ["--trace", trace, "-s", server.url, "BR"],
      dir.path,
    );
    const why = describe(script, result);
    assert.equal(result.code, 1, why);
    const errors = lines(result.stderr);
    assert.equal(errors.length, 1, why);
    assert.ok(errors[0].startsWith(`*** Cannot write to ${trace}: `), why);
    assert.doesNotMatch(result.stdout, /^-{20}$/m, why);
    assert.deepEqual(await listDir(`${dir.path}/downloads`), [], why);
  }));
  assert.equal(server.peak(), 0, "a request was made");
});

Deno.test("least permissions: the scripts download with net to localhost, read, write to downloads/", async () => {
  await using server = await startServer(LOCALHOST);
  const url = server.url.replace("//127.0.0.1:", "//localhost:");
  await settleAll(SCRIPT_NAMES.map(async (script) => {
    await using dir = await tempDir();
    const result = await runDeno(
      scriptPath(script),
      ["-s", url, "-a", "-l", "30"],
      dir.path,
      { permissions: LEAST_PERMISSIONS },
    );
    const why = describe(script, result);
    assert.equal(result.code, 0, why);
    assert.equal(result.stderr, "", why);
    const { ok, notFound, errors } = parseReport(result.stdout);
    assert.deepEqual({ ok, notFound, errors }, {
      ok: 30,
      notFound: 0,
      errors: 0,
    }, why);
    const saved = await assertGoodDownloads(dir.path, script);
    assert.equal(saved.length, 30, why);
    // The help too: argparse would read the environment for colours and width.
    const help = await runDeno(scriptPath(script), ["-h"], dir.path, {
      permissions: LEAST_PERMISSIONS,
    });
    assert.equal(help.code, 0, describe(script, help));
    assert.match(help.stdout, /--max_req/, describe(script, help));
  }));
});

Deno.test("least permissions and --trace: with the file in --allow-write, and no env access, a line per request", async () => {
  await using server = await startServer(LOCALHOST);
  const url = server.url.replace("//127.0.0.1:", "//localhost:");
  await settleAll(SCRIPT_NAMES.map(async (script) => {
    await using dir = await tempDir();
    const args = ["--trace", "t.jsonl", "-s", url, "BR"];
    const traced = await runDeno(scriptPath(script), args, dir.path, {
      permissions: [
        ...LEAST_PERMISSIONS.slice(0, 2),
        "--allow-write=downloads,t.jsonl",
      ],
    });
    assert.equal(traced.code, 0, describe(script, traced));
    const trace = await Deno.readTextFile(`${dir.path}/t.jsonl`);
    // flags3 gets BR's metadata.json too.
    assert.equal(lines(trace).length, FLAGS3.has(script) ? 2 : 1, trace);
  }));
});

/** Starts `script`, sends SIGINT once a flag is done, and returns what it printed. */
async function interrupt(
  script: ScriptName,
  args: string[],
  cwd: string,
): Promise<RunResult & { before: string }> {
  const child = scriptCommand(script, args, cwd).spawn();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let stdout = "";
  try {
    while (!/^[A-Z]{2} (OK|not found)$/m.test(stdout)) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    const before = stdout;
    if (!exited) child.kill("SIGINT");
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      stdout += r.value;
    }
    const { code, signal } = await status;
    return { code, signal, stdout, stderr: await stderr, before };
  } finally {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch { /* it has just exited */ }
    }
    await status;
    await stderr;
    await reader.cancel().catch(() => {});
  }
}

Deno.test("Ctrl-C: exit 130, a partial report, no partial file", async () => {
  const cases: [ScriptName, string[], number][] = [
    ["sequential", ["-v", "B"], 26],
    ["asyncio", ["-e", "-v"], 676],
    ["threadpool", ["-e", "-v"], 676],
    ["asyncio_executor", ["-e", "-v"], 676],
    ["flags3_asyncio", ["-e", "-v"], 676],
  ];
  await settleAll(cases.map(async ([script, args, codes]) => {
    await using server = await startServer({ ...LOCALHOST, ...PRESETS.DELAY });
    await using dir = await tempDir();
    const result = await interrupt(
      script,
      [...args, "-s", server.url],
      dir.path,
    );
    const why = describe(script, result);
    assert.match(result.before, /^[A-Z]{2} (OK|not found)$/m, why);
    assert.equal(result.signal, null, why);
    assert.equal(result.code, 130, why);
    assert.ok(lines(result.stdout).includes(DASHES), why);
    assert.match(result.stdout, /^Elapsed time: \d+\.\d\ds$/m, why);
    const report = parseReport(result.stdout);
    assert.ok(total(report) < codes, why);
    assert.ok(!/^\s+at /m.test(result.stderr), why);
    // What finished is counted: every OK line, every saved flag.
    const okLines = lines(result.stdout).filter((l) => / OK$/.test(l));
    assert.equal(okLines.length, report.ok, why);
    const saved = await assertGoodDownloads(dir.path, script);
    assert.equal(saved.length, report.ok, why);
  }));
});

Deno.test("--trace FILE: one JSON line per request", async () => {
  await using server = await startServer(LOCALHOST);
  const expected = { BA: 200, BB: 200, BC: 404, BD: 200, BE: 200 };
  await settleAll(SCRIPT_NAMES.map(async (script) => {
    await using dir = await tempDir();
    const args = ["-l", "5", "--trace", "trace.jsonl", "-s", server.url, "B"];
    const result = await runDeno(scriptPath(script), args, dir.path);
    const why = describe(script, result);
    assert.equal(result.code, 0, why);
    const records = lines(await Deno.readTextFile(`${dir.path}/trace.jsonl`))
      .map((line) => JSON.parse(line));
    // flags3 gets the metadata.json of each flag found too.
    assert.equal(records.length, FLAGS3.has(script) ? 9 : 5, why);
    const outcomes: Record<string, number> = {};
    for (const { cc, start, end, outcome } of records) {
      assert.equal(typeof start, "number", why);
      assert.equal(typeof end, "number", why);
      assert.ok(end >= start, why);
      outcomes[cc] = outcome;
    }
    assert.deepEqual(outcomes, expected, why);
  }));
});

/** The project's modules that a reader or a test may import: the root's, lib/ and testing/. */
async function projectModules(): Promise<URL[]> {
  const modules = [];
  for (const folder of ["./", "./lib/", "./testing/"]) {
    const dir = new URL(`../${folder}`, import.meta.url);
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".ts")) {
        modules.push(new URL(entry.name, dir));
      }
    }
  }
  return modules;
}

Deno.test("importing any module installs no Ctrl-C listener: SIGINT kills as by default", async () => {
  const config = repoPath("deno.json");
  const modules = await projectModules();
  assert.ok(modules.some((url) => url.href.endsWith("/lib/interrupt.ts")));
  await settleAll(modules.map(async (url) => {
    const code = `await import(${JSON.stringify(url.href)});
      console.log("imported");
      setTimeout(() => {}, 60_000);`;
    const child = denoCommand(["eval", "--config", config, code]).spawn();
    const stderr = new Response(child.stderr).text();
    const stdout = child.stdout.pipeThrough(new TextDecoderStream());
    let printed = "";
    for await (const chunk of stdout) {
      printed += chunk;
      if (printed.includes("imported")) break; // stops reading: no pipe to fill
    }
    if (printed.includes("imported")) child.kill("SIGINT");
    // A listener would keep it alive for the 60 s timer: kill it after 20.
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const status = await child.status;
    clearTimeout(killer);
    const why = `${url.href}\n${printed}${await stderr}`;
    assert.ok(printed.includes("imported"), why);
    assert.equal(status.signal, "SIGINT", why);
  }));
});
