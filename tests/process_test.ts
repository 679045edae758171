/**
 * Tests of what only `ProcessPoolExecutor` does, as CPython's
 * `test_process_pool`: calls run in other processes, a child that dies
 * breaks the pool, `maxTasksPerChild`, `terminateWorkers` and
 * `killWorkers` (3.14), children with the parent's permissions, none left
 * behind. The contract both pools share is in futures_test.ts. Timing is
 * never asserted: only order, counts and pids.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  asCompleted,
  BrokenProcessPool,
  type Future,
  ProcessPoolExecutor,
  ShutdownError,
  ThreadPoolExecutor,
} from "../futures.ts";
import {
  exitNow,
  identity,
  pid,
  sleep,
  sleepOrDie,
  throwLater,
} from "./fixtures/tasks.ts";
import { SystemExit } from "../futures/call.ts";
import { alive, delay, errorOf, FUTURES, TASKS } from "./fixtures/pools.ts";
import { denoCommand, repoPath, runSource } from "../testing/harness.ts";

Deno.test("submit runs in another process; map yields in submission order", async () => {
  await using executor = new ProcessPoolExecutor(2, TASKS);
  const childPid = await executor.submit(pid).result();
  assert.notEqual(childPid, Deno.pid);
  const results = [];
  for await (const value of executor.map(sleep, [300, 10, 50, 10])) {
    results.push(value);
  }
  assert.deepEqual(results, [300, 10, 50, 10]);
  assert.equal(executor.workersCreated, 1); // the calls await: one child carries both
  assert.equal(executor.peakRunning, 2);
  // Values cross with structured-clone semantics, as with Workers.
  const value = {
    bytes: new Uint8Array([1, 2, 3]),
    big: 10n,
    when: new Date(0),
  };
  assert.deepEqual(await executor.submit(identity, value).result(), value);
});

Deno.test("a child killed in the middle of a call: BrokenProcessPool, no hang", async () => {
  const executor = new ProcessPoolExecutor(2, TASKS);
  const childPid = await executor.submit(pid).result();
  const running = executor.submit(sleep, 5_000, "never");
  const queued = [1, 2, 3].map((i) => executor.submit(sleep, 5_000, i));
  await delay(300);
  Deno.kill(childPid, "SIGKILL");
  const exc = await errorOf(running);
  assert.ok(exc instanceof BrokenProcessPool);
  assert.match(exc.message, /SIGKILL.*sleep\(\)/);
  for (const future of queued) {
    assert.ok((await errorOf(future)) instanceof BrokenProcessPool);
  }
  assert.throws(() => executor.submit(identity, 1), BrokenProcessPool);
  await executor.shutdown();
});

Deno.test("Deno.exit in a call fails that call with SystemExit; a stray error is printed; the child goes on", async () => {
  await using executor = new ProcessPoolExecutor(1, TASKS);
  const childPid = await executor.submit(pid).result();
  const exc = await errorOf(executor.submit(exitNow, 3));
  assert.ok(exc instanceof SystemExit, String(exc));
  assert.equal(exc.code, 3);
  assert.match(
    exc.message,
    /Deno\.exit\(3\) was called in a call of exitNow\(\)/,
  );
  assert.equal(await executor.submit(throwLater, "late").result(), "returned");
  await delay(100); // the timer throws
  assert.equal(await executor.submit(pid).result(), childPid);
});

Deno.test("a child that really dies: its calls fail with BrokenProcessPool, which names the call it ran and those riding beside it", async () => {
  const executor = new ProcessPoolExecutor(6, TASKS);
  const riding = [1, 2, 3, 4].map(() =>
    executor.submit(sleepOrDie, 60_000, false)
  );
  while (executor.peakRunning < 4) await delay(10); // one child carries them
  const dying = executor.submit(sleepOrDie, 0, true);
  for (const future of [dying, ...riding]) {
    const exc = await errorOf(future);
    assert.ok(exc instanceof BrokenProcessPool, String(exc));
    assert.match(
      exc.message,
      /died \(SIGKILL\) while it ran sleepOrDie\(\), with 4 calls riding beside it: sleepOrDie\(\) ×4/,
    );
  }
  await executor.shutdown();
});

Deno.test("maxTasksPerChild: a child runs that many calls, then another takes its place", async () => {
  await using executor = new ProcessPoolExecutor(1, TASKS, {
    maxTasksPerChild: 2,
  });
  const pids: number[] = [];
  for (let i = 0; i < 6; i++) pids.push(await executor.submit(pid).result());
  assert.equal(new Set(pids).size, 3, `${pids}`);
  assert.deepEqual(pids.filter((p, i) => p !== pids[i - (i % 2)]), []);
  assert.equal(executor.workersCreated, 3);
  assert.throws(
    () => new ProcessPoolExecutor(1, TASKS, { maxTasksPerChild: 0 }),
    RangeError,
  );
});

for (const method of ["terminateWorkers", "killWorkers"] as const) {
  Deno.test(`${method}: the call under way fails at once with BrokenProcessPool, queued ones are cancelled, no child is left`, async () => {
    const executor = new ProcessPoolExecutor(2, TASKS);
    const pids = await Promise.all(
      [pid, pid].map((fn) => executor.submit(fn).result()),
    );
    const running = [1, 2].map((i) => executor.submit(sleep, 60_000, i));
    const queued = executor.submit(sleep, 60_000, 3);
    while (!running.every((f) => f.running())) await delay(10);
    await executor[method]();
    for (const future of running) {
      const exc = await errorOf(future);
      assert.ok(exc instanceof BrokenProcessPool, String(exc));
      assert.match(exc.message, new RegExp(`${method}\\(\\) was called`));
    }
    assert.ok(queued.cancelled());
    for (const childPid of pids) assert.ok(!alive(childPid), `${childPid}`);
    assert.throws(() => executor.submit(pid), BrokenProcessPool);
    await executor.shutdown();
  });
}

Deno.test("shutdown({ wait: false }): the child exits once its call is done", async () => {
  const executor = new ProcessPoolExecutor(1, TASKS);
  const childPid = await executor.submit(pid).result();
  const last = executor.submit(sleep, 200, "last");
  await executor.shutdown({ wait: false });
  assert.ok(alive(childPid));
  assert.equal(await last.result(), "last");
  const deadline = Date.now() + 10_000;
  while (alive(childPid) && Date.now() < deadline) await delay(20);
  assert.ok(!alive(childPid), "the child outlived the shutdown");
  await executor.shutdown();
});

Deno.test("shutdown waits for the calls, then leaves no child process", async () => {
  const executor = new ProcessPoolExecutor(3, TASKS);
  const futures = Array.from({ length: 6 }, () => executor.submit(pid));
  const queued = executor.submit(sleep, 100, "queued");
  await executor.shutdown();
  const pids = new Set(await Promise.all(futures.map((f) => f.result())));
  assert.equal(await queued.result(), "queued");
  assert.ok(pids.size >= 1 && pids.size <= 3);
  for (const childPid of pids) assert.ok(!alive(childPid), `${childPid} lives`);
  assert.throws(() => executor.submit(pid), ShutdownError);
});

Deno.test("asCompleted takes futures of both pools and a plain promise", async () => {
  await using threads = new ThreadPoolExecutor(1, TASKS);
  await using processes = new ProcessPoolExecutor(1, TASKS);
  const byPool = new Map<Future<number>, string>([
    [threads.submit(pid), "thread"],
    [processes.submit(pid), "process"],
  ]);
  const promise = Promise.resolve(Deno.pid);
  const seen: [string, number][] = [];
  for await (const future of asCompleted([...byPool.keys(), promise])) {
    seen.push([byPool.get(future) ?? "promise", await future.result()]);
  }
  const pids = Object.fromEntries(seen);
  assert.equal(seen.length, 3);
  assert.equal(pids.thread, Deno.pid); // a Worker is a thread of this process
  assert.equal(pids.promise, Deno.pid);
  assert.notEqual(pids.process, Deno.pid);
});

Deno.test("a call's console.log reaches the parent's output; an idle pool does not keep it alive", async () => {
  const { code, stdout, stderr } = await runSource(
    `import { ProcessPoolExecutor } from ${JSON.stringify(FUTURES.href)};
import { say } from ${JSON.stringify(TASKS.href)};
const executor = new ProcessPoolExecutor(1, ${JSON.stringify(TASKS.href)});
const said = await executor.submit(say, "hello from a child").result();
console.log("returned:", said);
// No shutdown: like Python's at exit, the idle child must not hold us.
`,
    ["-A"],
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "hello from a child\nreturned: hello from a child\n");
});

Deno.test("children get the parent's permissions, no more", async () => {
  const { code, stdout, stderr } = await runSource(
    `import { ProcessPoolExecutor } from ${JSON.stringify(FUTURES.href)};
import { writeText } from ${JSON.stringify(TASKS.href)};
await using executor = new ProcessPoolExecutor(1, ${
      JSON.stringify(TASKS.href)
    });
const exc = await executor.submit(writeText, "written.txt", "x").exception();
console.log(exc instanceof Deno.errors.NotCapable, (exc as Error).message);
`,
    ["--allow-read", "--allow-run", "--allow-env"],
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^true .*write/);
});

Deno.test("without --allow-run the pool cannot start: BrokenProcessPool says why", async () => {
  const { code, stdout, stderr } = await runSource(
    `import { ProcessPoolExecutor } from ${JSON.stringify(FUTURES.href)};
import { pid } from ${JSON.stringify(TASKS.href)};
await using executor = new ProcessPoolExecutor(1, ${
      JSON.stringify(TASKS.href)
    });
const exc = await executor.submit(pid).exception();
console.log((exc as Error).name, (exc as Error).message);
`,
    ["--allow-read", "--allow-env"],
  );
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^BrokenProcessPool cannot start a child process: .*run/,
  );
});

Deno.test("no child outlives its parent, even one interrupted by Ctrl-C", async () => {
  const dir = await Deno.makeTempDir({ prefix: "process_test_" });
  try {
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { ProcessPoolExecutor } from ${JSON.stringify(FUTURES.href)};
import { pid, sleep } from ${JSON.stringify(TASKS.href)};
await using executor = new ProcessPoolExecutor(2, ${
        JSON.stringify(TASKS.href)
      });
const pids = await Promise.all([pid, pid].map((fn) => executor.submit(fn).result()));
for (let i = 0; i < 4; i++) executor.submit(sleep, 60_000);
console.log(JSON.stringify(pids));
`,
    );
    const parent = denoCommand(["run", `${dir}/main.ts`], {
      permissions: ["-A"],
      stderr: "inherit",
    }).spawn();
    const reader = parent.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const { value } = await reader.read();
    const pids: number[] = JSON.parse(value!);
    assert.ok(pids.every(alive));
    parent.kill("SIGINT"); // the parent alone, as kill -INT does
    assert.equal((await parent.status).signal, "SIGINT");
    await reader.cancel();
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) {
      await delay(50);
    }
    assert.deepEqual(pids.filter(alive), [], "children outlived the parent");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a parent that may read some folders only passes on those of the code: the child loads its module", async () => {
  const { code, stdout, stderr } = await runSource(
    `import { ProcessPoolExecutor } from ${JSON.stringify(FUTURES.href)};
import { pid, writeText } from ${JSON.stringify(TASKS.href)};
await using executor = new ProcessPoolExecutor(1, ${
      JSON.stringify(TASKS.href)
    });
console.log(typeof await executor.submit(pid).result());
const exc = await executor.submit(writeText, "x.txt", "x").exception();
console.log(exc instanceof Deno.errors.NotCapable);
`,
    [
      `--allow-read=${repoPath("")}`,
      "--allow-run",
      "--allow-env",
    ],
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "number\ntrue\n");
});
