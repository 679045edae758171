/**
 * Smoke tests of the pure helpers of the bench (`bench/`), and of
 * the bench's refusals of a bad command line.
 *
 * @module
 */

import { completionCurve, renderChart } from "../bench/chart.ts";
import { checkRun } from "../bench/runs.ts";
import { pickScenarios } from "../bench/scenarios.ts";
import { ideal, median } from "../bench/table.ts";
import { listDir, repoPath, runDeno, tempDir } from "../tools/harness.ts";
import { parseReport } from "../tools/report.ts";

const BENCH = repoPath("bench/main.ts");

/** Throws unless `actual` and `expected` have the same JSON. */
function assertEquals(actual: unknown, expected: unknown): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

Deno.test("median of odd and even counts", () => {
  assertEquals(median([3, 1, 2]), 2);
  assertEquals(median([4, 1, 3, 2]), 2.5);
});

Deno.test("ideal counts full rounds of requests", () => {
  assertEquals(ideal(676, 30, 0.5), 11.5);
  assertEquals(ideal(26, 1, 0.5), 13);
  assertEquals(ideal(676, 676, 0.5), 0.5);
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
  assertEquals(parseReport(REPORT), {
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
  assertEquals([report.notFound, report.errors], [0, 0]);
  let threw = false;
  try {
    parseReport(REPORT.replace("Elapsed time: 7.46s\n", ""));
  } catch {
    threw = true;
  }
  assertEquals(threw, true);
});

Deno.test("checkRun flags a lost download", () => {
  const report = parseReport(REPORT);
  assertEquals(checkRun(report, 0, 676, 150), []);
  assertEquals(checkRun({ ...report, ok: 149 }, 0, 676, 149), [
    "LOST 1 of 676",
  ]);
  assertEquals(checkRun(report, 1), ["exit status 1"]);
});

Deno.test("pickScenarios takes ids and server labels", () => {
  assertEquals(pickScenarios(["delay"]).map((s) => s.id), [
    "delay-m30",
    "delay-m1000",
    "delay-b",
  ]);
  assertEquals(pickScenarios(["LOCAL", "error"]).map((s) => s.id), [
    "local",
    "error",
  ]);
});

Deno.test("completionCurve counts ends from the first start", () => {
  const trace = [
    { cc: "BR", start: 1000, end: 3000, outcome: 200 as const },
    { cc: "AA", start: 1500, end: 2000, outcome: 404 as const },
  ];
  assertEquals(completionCurve(trace), [
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
  if (!svg.includes('xmlns="http://www.w3.org/2000/svg"')) {
    throw new Error("no xmlns");
  }
});

/** Runs the bench with `args` from a fresh folder; returns its exit code, stderr and what it left there. */
async function benchIn(args: string[]) {
  await using dir = await tempDir({ prefix: "bench_test_" });
  const { code, stderr } = await runDeno(BENCH, args, dir.path);
  return { code, stderr, left: await listDir(dir.path) };
}

Deno.test("bench refuses an unknown scenario: exit 2, one line, nothing written", async () => {
  const { code, stderr, left } = await benchIn(["--scenario", "nope"]);
  assertEquals(code, 2);
  assertEquals(stderr.trim(), "*** No scenario named nope");
  assertEquals(left, []);
});

Deno.test("bench refuses a --workdir that is not a folder: exit 2, nothing written", async () => {
  const { code, stderr, left } = await benchIn([
    "--scenario",
    "local",
    "--workdir",
    "/no/such/folder",
  ]);
  assertEquals(code, 2);
  assertEquals(stderr.trim(), "*** --workdir /no/such/folder: no such folder");
  assertEquals(left, []);
});
