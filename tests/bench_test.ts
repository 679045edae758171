/**
 * Smoke tests of the pure helpers of the bench (`bench/`), of the bench's
 * refusals of a bad command line, and of its Ctrl-C.
 *
 * @module
 */

import assert from "node:assert/strict";
import { completionCurve, renderChart } from "../bench/chart.ts";
import { editionOf, loadBook } from "../bench/book.ts";
import { cpuTable, parseStatus, SCALE } from "../bench/cpu.ts";
import { checkRun, type Run, runOf } from "../bench/runs.ts";
import {
  type Baseline,
  type Case,
  CURL,
  pickScenarios,
  planCases,
  SCENARIOS,
} from "../bench/scenarios.ts";
import { flagCells, idealTime, median, summarize } from "../bench/page.ts";
import {
  denoCommand,
  descendants,
  killTree,
  listDir,
  procStat,
  repoPath,
  runDeno,
  settleAll,
  tempDir,
} from "../testing/harness.ts";
import { parseReport, ReportError } from "../testing/report.ts";

const BENCH = repoPath("bench/main.ts");

Deno.test("median of odd and even counts, failed runs (NaN) left out", () => {
  assert.deepEqual(median([3, 1, 2]), 2);
  assert.deepEqual(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(median([4, NaN, 2]), 3);
  assert.deepEqual(median([NaN]), NaN);
});

/** A case of the scenario `id` run by `runner`, with runs of these times. */
function caseOf(
  id: string,
  runner: Case["runner"],
  times: number[],
  codes = 676,
  concurrency = 30,
): Case {
  const scenario = SCENARIOS.find((s) => s.id === id)!;
  const runs = times.map((elapsed) =>
    ({ elapsed, codes, concurrency, peak: 1, problems: [] }) as unknown as Run
  );
  return { scenario, runner, runs };
}

const script = (id: string) => ({ id, label: id, run: () => Promise.reject() });

Deno.test("ideal counts full rounds of requests, for DELAY only", () => {
  const ideal = (id: string, codes: number, concurrency: number) =>
    idealTime(caseOf(id, script("threadpool"), [1], codes, concurrency));
  assert.deepEqual(ideal("delay-m30", 676, 30), 11.5);
  assert.deepEqual(ideal("delay-b", 26, 1), 13);
  assert.deepEqual(ideal("delay-m1000", 676, 676), 0.5);
  assert.deepEqual(ideal("local", 676, 30), undefined);
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
  assert.throws(
    () => parseReport(REPORT.replace("Elapsed time: 7.46s\n", "")),
    ReportError,
  );
});

Deno.test("parseReport reads the second edition's padded counts", () => {
  const report = parseReport(
    "LOCAL site: http://localhost:8000/flags\nSearching for 1 flag: BR\n" +
      "1 connection will be used.\n--------------------\n" +
      "  1 flag downloaded.\n  2 errors.\nElapsed time: 0.01s\n",
  );
  assert.deepEqual([report.concurrency, report.ok, report.errors], [1, 1, 2]);
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
    "example-17-4",
  ]);
  assert.deepEqual(pickScenarios(["example-17-4"]).map((s) => s.label), [
    "LOCAL",
  ]);
});

Deno.test("the bench's parseStatus reads the workers line after 12 job lines, and nothing else", () => {
  const jobs = "256.0 KB\n".repeat(12);
  assert.deepEqual(parseStatus(`${jobs}2 workers, elapsed time: 1.23s\n`), {
    workers: 2,
    elapsed: 1.23,
  });
  assert.equal(parseStatus(`${jobs}elapsed time: 1.23s\n`), undefined);
  assert.equal(
    parseStatus("256.0 KB\n2 workers, elapsed time: 1.23s\n"),
    undefined,
  );
});

Deno.test("the CPU table marks a ratio ✓ or ✗ only at ×32, where a target is claimed, and says what the marks and the check column mean", () => {
  const row = (script: string, scale: number, ratio: number) => ({
    script,
    scale,
    times: {},
    median: { "1 Worker": 1, "2 Workers": ratio },
    ratios: { workersRatio: ratio, processesRatio: NaN },
    problems: [],
  });
  const table = cpuTable([
    row("sha_futures.ts", 1, 0.84),
    row("sha_futures.ts", SCALE, 0.57),
    row("arcfour_futures.ts", SCALE, 0.61),
    row("sha_futures.py", 1, 0.56),
  ], 3);
  const cells = (script: string, size: string) =>
    table.split("\n").find((line) => line.startsWith(`| ${script} | ${size} |`))
      ?.split(" | ");
  const ratio = 7; // script, job size, five modes, then the ratios
  assert.equal(cells("sha_futures.ts", "book's")?.[ratio], "0.84");
  assert.equal(cells("sha_futures.ts", `×${SCALE}`)?.[ratio], "0.57 ✓");
  assert.equal(cells("arcfour_futures.ts", `×${SCALE}`)?.[ratio], "0.61 ✗");
  assert.equal(cells("sha_futures.py", "book's")?.[ratio], "0.56");
  assert.match(
    table,
    /\| 2 Workers \/ 1 Worker \| 2 processes \/ 1 process \|/,
  );
  assert.match(
    table,
    /2 Workers \/ 1 Worker ≤ 0\.60, 2 processes \/ 1 process ≤ 0\.65\): ✓ when it is met, ✗ when not\./,
  );
  assert.match(table, /At the book's size no target is claimed/);
  assert.match(
    table,
    /check: whether every run exited 0 and printed its workers line, nothing about the targets\./,
  );
});

/** A book's baseline of `script`, never run. */
const bookOf = (id: string): Baseline => ({
  ...script(`book-${id}`),
  ratio: { column: "× book", over: [id] },
});

Deno.test("planCases: curl joins LOCAL, the book's scripts join where their script runs", () => {
  const plan = (names: string[], quick: boolean, book: Baseline[] = []) =>
    planCases(pickScenarios(names), quick, [CURL], book).map((c) =>
      `${c.scenario.id} ${c.runner.id}`
    );
  assert.deepEqual(plan(["local", "delay"], false), [
    "local curl",
    "local sequential",
    "local threadpool",
    "local asyncio",
    "delay-m30 threadpool",
    "delay-m30 asyncio",
    "delay-m1000 threadpool",
    "delay-m1000 asyncio",
    "delay-b sequential",
    "example-17-4 threadpool_ac",
  ]);
  // --quick runs only the threadpool in ERROR, so no book's asyncio there.
  assert.deepEqual(plan(["error"], true, [bookOf("asyncio")]), [
    "error threadpool",
  ]);
  assert.deepEqual(plan(["delay"], true, [bookOf("sequential")]), [
    "delay-m30 threadpool",
    "delay-m1000 threadpool",
    "delay-m1000 asyncio",
    "delay-b sequential",
    "delay-b book-sequential",
  ]);
});

Deno.test("summarize: ratios to the baselines of the same scenario, over the rows each divides", () => {
  const book = bookOf("threadpool");
  const cases = [
    caseOf("local", CURL, [0.1]),
    caseOf("local", script("threadpool"), [0.4]),
    caseOf("local", book, [0.8]),
    caseOf("delay-m30", bookOf("asyncio"), [12]),
    caseOf("delay-m30", script("threadpool"), [12.6, 12.5, 13]),
    caseOf("delay-m30", script("asyncio"), [11.7]),
  ];
  const ratios = cases.map((c) =>
    Object.entries(summarize(c, cases).ratios).map(([k, v]) =>
      `${k} ${v.toFixed(2)}`
    )
  );
  assert.deepEqual(ratios, [
    ["× curl 1.00"],
    ["× curl 4.00", "× book 0.50"],
    ["× curl 8.00", "× book 1.00"],
    ["× book 1.00"],
    [],
    ["× book 0.97"],
  ]);
});

Deno.test("the flags table shows the ideal time, the row over it, and the Workers that -v's pool line names", () => {
  const out = {
    code: 0,
    stdout: "The pool created 1 Worker; at most 676 downloads ran at once.\n" +
      REPORT.replace("Elapsed time: 7.46s", "Elapsed time: 1.00s"),
    stderr: "",
    memoryKiB: 204800,
    seconds: 1.1,
  };
  const run = runOf(out, parseReport, { peak: 676 });
  assert.deepEqual([run.workers, run.peak, run.problems], [1, 676, []]);
  const c: Case = {
    ...caseOf("delay-m1000", script("threadpool"), []),
    runs: [{ ...run, concurrency: 676 }],
    traced: run,
  };
  const cells = flagCells(summarize(c, [c]), []);
  assert.deepEqual(
    [cells["ideal s"], cells["× ideal"], cells.Workers, cells["server peak"]],
    ["0.5", "2.00", "1", "676"],
  );
  assert.equal(cells["peak RSS MiB"], "200");
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

/** The usage of the bench, which its help and usage errors print. */
const BENCH_USAGE = /^usage: bench\/main\.ts \[-h\] \[--scenario NAME\] /;

/** argparse's error: the usage (its lines indented after the first), then `bench/main.ts: error: `. */
function assertArgparseError(stderr: string, message: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  assert.match(lines[0], BENCH_USAGE, stderr);
  assert.ok(lines.slice(1, -1).every((line) => line.startsWith(" ")), stderr);
  assert.match(lines.at(-1)!, message, stderr);
}

Deno.test("bench refuses an unknown scenario as the scripts refuse a bad option: exit 2, argparse's usage and error, nothing written", async () => {
  const { code, stderr, left } = await benchIn(["--scenario", "nope"]);
  assert.deepEqual(code, 2);
  assertArgparseError(
    stderr,
    /^bench\/main\.ts: error: argument --scenario: invalid choice: 'nope'/,
  );
  assert.deepEqual(left, []);
});

Deno.test("bench --repeat 0, and its unique prefix --rep 0: a usage error, exit 2", async () => {
  for (const flag of ["--repeat", "--rep"]) {
    const { code, stderr, left } = await benchIn([flag, "0"]);
    assert.deepEqual(code, 2, stderr);
    assertArgparseError(
      stderr,
      /^bench\/main\.ts: error: argument --repeat: invalid positive int value: '0'$/,
    );
    assert.deepEqual(left, []);
  }
});

Deno.test("bench takes unique prefixes, and says usage: in its help as the scripts do", async () => {
  // --scen is --scenario: a bad value there is its usage error.
  const prefix = await benchIn(["--scen", "x", "--rep", "1"]);
  assert.equal(prefix.code, 2);
  assert.match(prefix.stderr, /argument --scenario: invalid choice: 'x'/);
  await using dir = await tempDir({ prefix: "bench_test_" });
  const help = await runDeno(BENCH, ["-h"], dir.path);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, BENCH_USAGE);
  assert.match(
    help.stdout,
    /^ {2}-h, --help +show this help message and exit$/m,
  );
  assert.match(help.stdout, /^ {2}--repeat N +runs per row/m);
  assert.doesNotMatch(help.stdout, /\(default: \)/);
});

Deno.test("a short bench (LOCAL, one run) writes its page, results and chart where asked, and warns of nothing", async () => {
  await using dir = await tempDir({ prefix: "bench_test_" });
  const out = await runDeno(BENCH, [
    ...["--scenario", "local", "--repeat", "1"],
    ...["--json", "b.json", "--svg", "b.svg", "--md", "b.md"],
  ], dir.path);
  assert.equal(out.code, 0, out.stderr);
  assert.doesNotMatch(out.stderr, /^\*\*\*/m);
  assert.match(out.stdout, /^\| LOCAL -e \| threadpool \| 676 \|/m);
  assert.deepEqual(await listDir(dir.path), ["b.json", "b.md", "b.svg"]);
});

/** A folder named as no checkout names it, with a `flags2_common.py` whose servers are on `ports`, a flags2 script, and a CPU script beside it. */
async function bookCopy(root: string, ports: number[]): Promise<string> {
  const dir = `${root}/my copy/flags`;
  await Deno.mkdir(dir, { recursive: true });
  const servers = ["LOCAL", "DELAY", "ERROR"].map((label, i) =>
    `    '${label}':  'http://localhost:${ports[i]}/flags',`
  );
  await Deno.writeTextFile(
    `${dir}/flags2_common.py`,
    ["SERVERS = {", ...servers, "}", ""].join("\n"),
  );
  await Deno.writeTextFile(`${dir}/flags2_threadpool.py`, "");
  await Deno.mkdir(`${root}/my copy/crypto`);
  await Deno.writeTextFile(`${root}/my copy/crypto/sha_futures.py`, "");
  return dir;
}

Deno.test("editionOf reads the edition from the servers that flags2_common.py names", () => {
  const common = (ports: number[]) =>
    ["LOCAL", "DELAY", "ERROR"].map((label, i) =>
      `'${label}': "http://localhost:${ports[i]}/flags",`
    ).join("\n");
  assert.equal(editionOf(common([8001, 8002, 8003])), 1);
  assert.equal(editionOf(common([8000, 8001, 8002])), 2);
  assert.equal(editionOf(common([8001, 8002, 8004])), undefined);
  assert.equal(editionOf("print('hello')"), undefined);
});

Deno.test("loadBook finds the book's scripts by their files, in a folder of any name", async () => {
  await using root = await tempDir({ prefix: "bench_book_" });
  for (
    const [ports, edition] of [[[8001, 8002, 8003], 1], [
      [8000, 8001, 8002],
      2,
    ]] as const
  ) {
    const dir = await bookCopy(`${root.path}/${edition}`, [...ports]);
    const book = await loadBook(dir, "python3");
    assert.deepEqual(book.flags.map((b) => b.label), ["flags2_threadpool.py"]);
    assert.match(book.notes[0], new RegExp(`\\(edition ${edition}\\)`));
    assert.match(book.notes[0], new RegExp(`ports ${ports[0]}-${ports[2]};`));
    // The first edition's CPU scripts are in crypto/ beside the folder.
    const cpu = book.cpu.map((script) => script.label);
    assert.deepEqual(cpu, edition === 1 ? ["sha_futures.py"] : []);
  }
});

Deno.test("bench --book with a folder that is not the book's, a missing folder, or a missing Python: one line at once, exit 2, nothing run or written", async () => {
  await using root = await tempDir({ prefix: "bench_book_" });
  const book = await bookCopy(root.path, [8001, 8002, 8003]);
  const other = `${root.path}/my copy`; // the parent: no flags2_common.py
  const cases: [string[], string][] = [
    [
      ["--book", other],
      `*** --book ${other}: not a folder of the book's flags2 scripts, whose ` +
      "flags2_common.py names LOCAL at localhost:8001 (first edition) or " +
      ":8000 (second)",
    ],
    [
      ["--book", "/no/such/17-futures/countries"],
      "*** --book /no/such/17-futures/countries: no such folder",
    ],
    [
      ["--book", book, "--python", "/no/python3"],
      "*** --python /no/python3: not found",
    ],
  ];
  await settleAll(cases.map(async ([args, line]) => {
    const { code, stderr, left } = await benchIn(args);
    assert.equal(code, 2, stderr);
    assert.equal(stderr, `${line}\n`);
    assert.deepEqual(left, []);
  }));
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
    // 26 codes one at a time, 0.5 s each: still running when SIGINT comes.
    const args = ["--scenario", "delay-b"];
    const bench = denoCommand(["run", BENCH, ...args], {
      permissions: ["-A"],
      cwd: cwd.path,
    }).spawn();
    const status = bench.status;
    const stderr = bench.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let errors = "";
    let children: number[] = [];
    let folder = "";
    try {
      while (!errors.includes(" run 1\n")) {
        const { value, done } = await stderr.read();
        if (done) {
          assert.fail(`the bench ended before its first run:\n${errors}`);
        }
        errors += value;
      }
      // Its script is under way once a `deno run` under the bench has the
      // server's URL; it runs in the run's folder.
      let port = 0;
      for (let tries = 0; !port && tries < 400; tries++) {
        await delay(50);
        children = descendants(bench.pid);
        const script = children.find((pid) =>
          commandLine(pid).startsWith(`${Deno.execPath()} run `)
        );
        port = Number(
          / -s http:\/\/127\.0\.0\.1:(\d+)\/flags /
            .exec(commandLine(script ?? 0))?.[1],
        );
        if (port) folder = Deno.readLinkSync(`/proc/${script}/cwd`);
      }
      assert.ok(port, `no script started within 20 s:\n${errors}`);
      assert.match(folder, /\/flags2-bench-[^/]+$/);
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
      await assert.rejects(
        Deno.stat(folder),
        Deno.errors.NotFound,
        "folder left behind",
      );
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
