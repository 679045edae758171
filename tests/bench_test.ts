/**
 * Smoke tests of the pure helpers of the bench (`bench/`), of the bench's
 * refusals of a bad command line, and of its Ctrl-C.
 *
 * @module
 */

import assert from "node:assert/strict";
import { completionCurve, renderChart } from "../bench/chart.ts";
import { parseFloor } from "../bench/floor.ts";
import { checkRun } from "../bench/runs.ts";
import { pickScenarios, planCases } from "../bench/scenarios.ts";
import { addFloorRatios, ideal, median, type Row } from "../bench/table.ts";
import {
  denoCommand,
  descendants,
  killTree,
  listDir,
  procStat,
  repoPath,
  runDeno,
  tempDir,
} from "../tools/harness.ts";
import { parseReport, ReportError } from "../tools/report.ts";

const BENCH = repoPath("bench/main.ts");
const FLOOR = repoPath("bench/floor.ts");

Deno.test("median of odd and even counts", () => {
  assert.deepEqual(median([3, 1, 2]), 2);
  assert.deepEqual(median([4, 1, 3, 2]), 2.5);
});

Deno.test("ideal counts full rounds of requests", () => {
  assert.deepEqual(ideal(676, 30, 0.5), 11.5);
  assert.deepEqual(ideal(26, 1, 0.5), 13);
  assert.deepEqual(ideal(676, 676, 0.5), 0.5);
});

const REPORT = `CUSTOM site: http://127.0.0.1:1/flags
Searching for 676 flags: from AA to ZZ
30 concurrent connections will be used.
--------------------
150 flags downloaded.
361 not found.
165 errors.
Elapsed time: 7.46s
`;

Deno.test("parseReport reads every line", () => {
  assert.deepEqual(parseReport(REPORT), {
    elapsed: 7.46,
    codes: 676,
    concurrency: 30,
    ok: 150,
    notFound: 361,
    errors: 165,
  });
});

Deno.test("parseReport takes missing lines as zero, but not the time", () => {
  const report = parseReport(
    "Searching for 1 flag: BR\n1 concurrent connection will be used.\n" +
      "1 flag downloaded.\nElapsed time: 0.01s\n",
  );
  assert.deepEqual([report.notFound, report.errors], [0, 0]);
  assert.throws(() => parseReport(REPORT.replace("Elapsed time: 7.46s\n", "")));
});

Deno.test("checkRun flags a lost download", () => {
  const report = parseReport(REPORT);
  assert.deepEqual(checkRun(report, 0, 676, 150), []);
  assert.deepEqual(checkRun({ ...report, ok: 149 }, 0, 676, 149), [
    "LOST 1 of 676",
  ]);
  assert.deepEqual(checkRun(report, 1), ["exit status 1"]);
});

Deno.test("pickScenarios takes ids and server labels", () => {
  assert.deepEqual(pickScenarios(["delay"]).map((s) => s.id), [
    "delay-m30",
    "delay-m1000",
    "delay-b",
  ]);
  assert.deepEqual(pickScenarios(["LOCAL", "error"]).map((s) => s.id), [
    "local",
    "error",
  ]);
});

Deno.test("planCases: curl joins LOCAL, the Worker floor joins DELAY -e with the threadpool", () => {
  const plan = (names: string[], quick: boolean) =>
    planCases(pickScenarios(names), quick, true).map((c) =>
      `${c.scenario.id} ${c.script}`
    );
  assert.deepEqual(plan(["local", "delay"], false), [
    "local curl",
    "local sequential",
    "local threadpool",
    "local asyncio",
    "delay-m30 floor",
    "delay-m30 threadpool",
    "delay-m30 asyncio",
    "delay-m1000 floor",
    "delay-m1000 threadpool",
    "delay-m1000 asyncio",
    "delay-b sequential",
  ]);
  // --quick runs no threadpool in delay-m30, so no floor there either.
  assert.deepEqual(plan(["delay-m30", "delay-m1000"], true), [
    "delay-m1000 floor",
    "delay-m1000 threadpool",
    "delay-m1000 asyncio",
  ]);
});

Deno.test("addFloorRatios: threadpool over the floor of its scenario, LOCAL over curl", () => {
  const row = (scenario: string, script: string, median: number) =>
    ({ scenario, script, median }) as Row;
  const rows = [
    row("LOCAL -e", "curl", 0.1),
    row("LOCAL -e", "threadpool", 0.4),
    row("DELAY -e -m 30", "floor", 12),
    row("DELAY -e -m 30", "threadpool", 12.6),
    row("DELAY -e -m 30", "asyncio", 11.7),
    row("DELAY -e -m 1000", "floor", 5),
    row("DELAY -e -m 1000", "threadpool", 6),
  ];
  addFloorRatios(rows);
  assert.deepEqual(rows.map((r) => r.ratioCurl), [1, 4, ...Array(5)]);
  assert.deepEqual(
    rows.map((r) => r.ratioFloor?.toFixed(2)),
    [undefined, undefined, "1.00", "1.05", undefined, "1.00", "1.20"],
  );
});

Deno.test("the Worker floor runs its tasks on a pool and reports what parseFloor reads", async () => {
  await using dir = await tempDir({ prefix: "bench_test_" });
  const out = await runDeno(FLOOR, ["-m", "2", "-n", "3"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  const report = parseFloor(out.stdout);
  const { tasks, maxWorkers, done, workersCreated, peakRunning } = report;
  assert.deepEqual([tasks, maxWorkers, done], [3, 2, 3], out.stdout);
  // How far the pool grows is its own policy: never past -m.
  assert.ok(workersCreated >= 1 && workersCreated <= 2, out.stdout);
  assert.ok(peakRunning >= 1 && peakRunning <= 2, out.stdout);
  // Two rounds of 0.5 s at least: the tasks did sleep.
  assert.ok(report.elapsed >= 1, out.stdout);
  assert.deepEqual(await listDir(dir.path), []);
});

Deno.test("parseFloor names a missing line", () => {
  assert.throws(() => parseFloor("Elapsed time: 1.00s\n"), ReportError);
});

Deno.test("completionCurve counts ends from the first start", () => {
  const trace = [
    { cc: "BR", start: 1000, end: 3000, outcome: 200 as const },
    { cc: "AA", start: 1500, end: 2000, outcome: 404 as const },
  ];
  assert.deepEqual(completionCurve(trace), [
    { t: 0, done: 0 },
    { t: 1, done: 1 },
    { t: 2, done: 2 },
  ]);
});

Deno.test("renderChart makes a standalone SVG", () => {
  const svg = renderChart("title", [{
    title: "DELAY B",
    subtitle: "26 codes",
    series: [{ script: "sequential", points: [{ t: 0, done: 0 }] }],
    rules: [{ t: 13, label: "ideal 13 s" }],
  }]);
  assert.ok(svg.includes('xmlns="http://www.w3.org/2000/svg"'));
});

/** Runs the bench with `args` from a fresh folder; returns its exit code, stderr and what it left there. */
async function benchIn(args: string[]) {
  await using dir = await tempDir({ prefix: "bench_test_" });
  const { code, stderr } = await runDeno(BENCH, args, dir.path);
  return { code, stderr, left: await listDir(dir.path) };
}

Deno.test("bench refuses an unknown scenario: exit 2, one line, nothing written", async () => {
  const { code, stderr, left } = await benchIn(["--scenario", "nope"]);
  assert.deepEqual(code, 2);
  assert.deepEqual(stderr.trim(), "*** No scenario named nope");
  assert.deepEqual(left, []);
});

Deno.test("bench refuses a --workdir that is not a folder: exit 2, nothing written", async () => {
  const { code, stderr, left } = await benchIn([
    "--scenario",
    "local",
    "--workdir",
    "/no/such/folder",
  ]);
  assert.deepEqual(code, 2);
  assert.deepEqual(
    stderr.trim(),
    "*** --workdir /no/such/folder: no such folder",
  );
  assert.deepEqual(left, []);
});

/** The command line of a process, from `/proc`; "" once it is gone. */
function commandLine(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Resolves after `ms` milliseconds. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test({
  name:
    "Ctrl-C: the bench kills its run, stops its server, removes its folders, exits 130",
  ignore: Deno.build.os !== "linux", // it finds the processes in /proc
  async fn() {
    await using cwd = await tempDir({ prefix: "bench_test_" });
    await using work = await tempDir({ prefix: "bench_work_" });
    // 26 codes one at a time, 0.5 s each: still running when SIGINT comes.
    const args = ["--scenario", "delay-b", "--workdir", work.path];
    const bench = denoCommand(BENCH, args, cwd.path).spawn();
    const status = bench.status;
    const stderr = bench.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let errors = "";
    let children: number[] = [];
    try {
      while (!errors.includes(" run 1\n")) {
        const { value, done } = await stderr.read();
        if (done) {
          assert.fail(`the bench ended before its first run:\n${errors}`);
        }
        errors += value;
      }
      // Its script is under way once a `deno run` under the bench (maybe
      // under /usr/bin/time) has the server's URL.
      let port = 0;
      for (let tries = 0; !port && tries < 400; tries++) {
        await delay(50);
        children = descendants(bench.pid);
        const script = children.map(commandLine)
          .find((line) => line.startsWith(`${Deno.execPath()} run `)) ?? "";
        port = Number(
          / -s http:\/\/127\.0\.0\.1:(\d+)\/flags /.exec(script)?.[1],
        );
      }
      assert.ok(port, `no script started within 20 s:\n${errors}`);
      const started = performance.now();
      bench.kill("SIGINT");
      const timer = setTimeout(() => killTree(bench.pid), 15_000);
      const { code } = await status;
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      for (let r = await stderr.read(); !r.done; r = await stderr.read()) {
        errors += r.value;
      }
      assert.equal(code, 130, errors);
      assert.ok(seconds < 10, `exit after ${seconds.toFixed(1)} s`);
      // The killed processes are gone (a zombie is reaped by init at once).
      for (let tries = 0; tries < 50; tries++) {
        if (children.every((pid) => procStat(pid) === undefined)) break;
        await delay(100);
      }
      const left = children.filter((pid) => procStat(pid) !== undefined);
      assert.deepEqual(left.map(commandLine), [], "processes left running");
      await assert.rejects(
        Deno.connect({ hostname: "127.0.0.1", port }),
        Deno.errors.ConnectionRefused,
        "the server still listens",
      );
      assert.deepEqual(await listDir(work.path), [], "folders left behind");
      assert.deepEqual(await listDir(cwd.path), [], "results written");
      assert.match(errors, /^\*\*\* Interrupted/m);
    } finally {
      // Whatever a failed bench left: itself and the processes seen under it.
      for (const pid of [bench.pid, ...children]) killTree(pid);
      await status;
      await stderr.cancel().catch(() => {});
    }
  },
});
