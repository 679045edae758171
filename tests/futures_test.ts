/**
 * Tests of futures.ts with real Workers running tests/fixtures/tasks.ts.
 * Timing is only ever checked from below: the assertions are on order and
 * counts, never on how fast something went.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  asCompleted,
  CancelledError,
  Future,
  ShutdownError,
  ThreadPoolExecutor,
} from "../futures.ts";
import {
  crash,
  exclusive,
  fail,
  failWithBigInt,
  identity,
  sleep,
  threadId,
  throwLater,
  throwString,
  unclonable,
} from "./fixtures/tasks.ts";
import { denoCommand } from "../tools/process.ts";

const TASKS = new URL("./fixtures/tasks.ts", import.meta.url);
const FUTURES = new URL("../futures.ts", import.meta.url);

/** Resolves after `ms` milliseconds, on this thread. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The error a future rejects with (fails if it resolves). */
async function errorOf(future: Future<unknown>): Promise<Error> {
  try {
    const value = await future.result();
    assert.fail(`expected a rejection, got ${String(value)}`);
  } catch (exc) {
    assert.ok(exc instanceof Error, `not an Error: ${String(exc)}`);
    return exc;
  }
}

/** Times a few quick calls, after which the pool judges calls short and its Workers hold their next one. */
async function warmUp(executor: ThreadPoolExecutor): Promise<void> {
  for (const i of [1, 2, 3]) {
    assert.equal(await executor.submit(identity, i).result(), i);
  }
}

// The book's 10 s / 1 s downloads, scaled down to 600 ms / 100 ms.
const DURATIONS: [number, string][] = [
  [600, "slow"],
  [100, "fast1"],
  [100, "fast2"],
  [100, "fast3"],
];

Deno.test("map yields in submission order, the slow first result first", async () => {
  await using executor = new ThreadPoolExecutor(4, TASKS);
  const start = performance.now();
  const futures = DURATIONS.map(([ms, key]) =>
    executor.submit(sleep<string>, ms, key)
  );
  // map itself, with one-argument calls: sleep(ms) resolves to ms.
  const results: (string | number)[] = [];
  let firstAt = 0;
  for await (const ms of executor.map(sleep, DURATIONS.map(([ms]) => ms))) {
    if (!results.length) firstAt = performance.now() - start;
    results.push(ms);
  }
  assert.deepEqual(results, [600, 100, 100, 100]);
  assert.ok(firstAt >= 590, `first result after ${firstAt} ms`);
  const keys = [];
  for (const future of futures) keys.push(await future.result());
  assert.deepEqual(keys, ["slow", "fast1", "fast2", "fast3"]);
});

Deno.test("asCompleted yields the fast tasks before the slow one", async () => {
  await using executor = new ThreadPoolExecutor(4, TASKS);
  const keyOf = new Map<Future<unknown>, string>();
  for (const [ms, key] of DURATIONS) {
    keyOf.set(executor.submit(sleep, ms, key), key);
  }
  const order: string[] = [];
  for await (const future of asCompleted(keyOf.keys())) {
    const key = keyOf.get(future);
    assert.ok(key, "asCompleted yielded a future that was not submitted");
    assert.equal(await future.result(), key);
    order.push(key);
  }
  assert.equal(order.length, 4);
  assert.equal(order.at(-1), "slow", `order: ${order}`);
  assert.deepEqual(order.toSorted(), ["fast1", "fast2", "fast3", "slow"]);
  assert.ok(executor.workersCreated > 1, "the pool never grew");
});

Deno.test("asCompleted mixes two executors and plain promises, each once, by identity", async () => {
  await using one = new ThreadPoolExecutor(2, TASKS);
  await using two = new ThreadPoolExecutor(2, TASKS);
  const keyOf = new Map<Future<unknown>, string>([
    [one.submit(sleep, 300, "one-slow"), "one-slow"],
    [two.submit(sleep, 50, "two-fast"), "two-fast"],
    [one.submit(sleep, 100, "one-fast"), "one-fast"],
    [two.submit(fail, "two-failed", 500), "two-failed"],
  ]);
  const plain = [
    delay(20).then(() => "plain-timer"),
    Promise.resolve("plain-resolved"),
    Promise.reject(new Error("plain-rejected")),
  ];
  const seen = new Set<Future<unknown>>();
  const outcomes: string[] = [];
  for await (const future of asCompleted([...keyOf.keys(), ...plain])) {
    assert.ok(future instanceof Future);
    assert.ok(!seen.has(future), "a future was yielded twice");
    seen.add(future);
    const outcome = await future.result().then(
      String,
      (exc: Error) => exc.message,
    );
    const key = keyOf.get(future);
    if (key) assert.equal(outcome, key);
    else assert.match(outcome, /^plain-/);
    outcomes.push(outcome);
  }
  assert.equal(seen.size, 7);
  for (const future of keyOf.keys()) {
    assert.ok(seen.has(future), `not yielded: ${keyOf.get(future)}`);
  }
  assert.deepEqual(outcomes.toSorted(), [
    "one-fast",
    "one-slow",
    "plain-rejected",
    "plain-resolved",
    "plain-timer",
    "two-failed",
    "two-fast",
  ]);
});

Deno.test("errors cross the Worker boundary and leave the pool usable", async (t) => {
  await using executor = new ThreadPoolExecutor(2, TASKS);
  const stillWorks = async () => {
    assert.equal(await executor.submit(sleep, 1, "ok").result(), "ok");
  };

  await t.step(
    "an Error subclass keeps its name, message and fields",
    async () => {
      const exc = await errorOf(executor.submit(fail, "Not Found", 404));
      assert.equal(exc.name, "HTTPStatusError");
      assert.equal(exc.message, "Not Found");
      assert.equal((exc as Error & { status: number }).status, 404);
      await stillWorks();
    },
  );

  await t.step("a thrown string becomes an Error with its text", async () => {
    const exc = await errorOf(executor.submit(throwString, "boom"));
    assert.equal(exc.message, "boom");
    await stillWorks();
  });

  await t.step("an unclonable return value rejects", async () => {
    const exc = await errorOf(executor.submit(unclonable));
    assert.ok(exc.message.length > 0);
    await stillWorks();
  });

  await t.step(
    "a function the module does not export rejects clearly",
    async () => {
      const local = () => 42;
      const exc = await errorOf(executor.submit(local));
      assert.match(exc.message, /exports no function local\b/);
      assert.match(exc.message, /fixtures\/tasks\.ts/);
      await stillWorks();
    },
  );

  await t.step("many failures in a row", async () => {
    const futures = Array.from(
      { length: 20 },
      (_, i) => executor.submit(fail, `failure ${i}`, 400 + i),
    );
    for (const [i, future] of futures.entries()) {
      const exc = await errorOf(future);
      assert.equal(exc.message, `failure ${i}`);
      assert.equal((exc as Error & { status: number }).status, 400 + i);
    }
    await stillWorks();
  });

  assert.ok(executor.workersCreated <= 2, `${executor.workersCreated}`);
});

Deno.test("never more Workers than maxWorkers", async () => {
  await using executor = new ThreadPoolExecutor(3, TASKS);
  const futures = Array.from(
    { length: 40 },
    (_, i) => executor.submit(sleep, 150, i),
  );
  const results = await Promise.all(futures.map((f) => f.result()));
  assert.deepEqual(results, Array.from({ length: 40 }, (_, i) => i));
  assert.ok(executor.workersCreated <= 3, `${executor.workersCreated}`);
  assert.ok(executor.workersCreated >= 1);
});

Deno.test("lazy creation: trivial tasks need few Workers", async () => {
  await using executor = new ThreadPoolExecutor(30, TASKS);
  const results = [];
  for await (const value of executor.map(identity, Array(200).keys())) {
    results.push(value);
  }
  assert.deepEqual(results, [...Array(200).keys()]);
  assert.ok(executor.workersCreated < 30, `${executor.workersCreated}`);
});

Deno.test("lazy creation: slow tasks make the pool grow", async () => {
  await using executor = new ThreadPoolExecutor(8, TASKS);
  const futures = Array.from(
    { length: 40 },
    () => executor.submit(sleep, 300),
  );
  for (const future of futures) assert.equal(await future.result(), 300);
  assert.ok(executor.workersCreated > 1, `${executor.workersCreated}`);
  assert.ok(executor.workersCreated <= 8, `${executor.workersCreated}`);
});

Deno.test("one task per Worker at a time, also for short tasks", async () => {
  await using executor = new ThreadPoolExecutor(2, TASKS);
  // Short tasks: each Worker is handed its next task while it runs one.
  assert.equal((await executor.submit(exclusive, 1).result()).peak, 1);
  const futures = Array.from(
    { length: 60 },
    () => executor.submit(exclusive, 5),
  );
  for (const future of futures) {
    const { id, peak } = await future.result();
    assert.equal(peak, 1, `Worker ${id} ran ${peak} tasks at once`);
  }
});

Deno.test("one task per Worker at a time", async () => {
  await using executor = new ThreadPoolExecutor(4, TASKS);
  const futures = Array.from(
    { length: 30 },
    () => executor.submit(exclusive, 60),
  );
  const tasksPerWorker = new Map<string, number>();
  for (const future of futures) {
    const { id, peak } = await future.result();
    assert.equal(peak, 1, `Worker ${id} ran ${peak} tasks at once`);
    tasksPerWorker.set(id, (tasksPerWorker.get(id) ?? 0) + 1);
  }
  assert.ok(tasksPerWorker.size <= 4);
  assert.equal(tasksPerWorker.size, executor.workersCreated);
  // and the Workers are not this thread
  assert.ok(!tasksPerWorker.has(threadId()));
});

Deno.test("shutdown waits for submitted tasks, then leaves no Worker", async () => {
  const executor = new ThreadPoolExecutor(3, TASKS);
  const settled: number[] = [];
  const futures = Array.from({ length: 9 }, (_, i) => {
    const future = executor.submit(sleep, 100, i);
    future.result().then(() => settled.push(i));
    return future;
  });
  await executor.shutdown();
  await Promise.resolve(); // let the .then above run
  assert.equal(settled.length, 9);
  for (const [i, future] of futures.entries()) {
    assert.equal(await future.result(), i);
  }
  assert.throws(() => executor.submit(sleep, 1), /after shutdown/);
  // The sanitizers now check that no Worker, timer or op is left.
});

Deno.test("shutdown({ cancelFutures: true }) cancels queued tasks, finishes those a Worker took", async () => {
  const executor = new ThreadPoolExecutor(1, TASKS);
  // Warm up the only Worker, so the next task starts as soon as it is
  // submitted; the warm-up is short, so the Worker also holds the next one,
  // which is then running as far as the pool goes, as in Python's process
  // pool, whose call queue holds tasks already marked running.
  await warmUp(executor);
  const running = executor.submit(sleep, 300, "running");
  const [held, ...queued] = Array.from(
    { length: 5 },
    (_, i) => executor.submit(sleep, 300, i),
  );
  assert.ok(running.running() && held.running());
  assert.ok(queued.every((future) => !future.running() && !future.done()));
  assert.equal(held.cancel(), false);
  const done = executor.shutdown({ cancelFutures: true });
  assert.throws(() => executor.submit(sleep, 1), ShutdownError);
  await done;
  assert.equal(await running.result(), "running");
  assert.equal(await held.result(), 0);
  for (const future of queued) {
    const exc = await errorOf(future);
    assert.ok(exc instanceof CancelledError);
    assert.ok(future.cancelled() && future.done());
  }
  assert.equal(executor.workersCreated, 1);
});

Deno.test("a script with `await using executor` exits by itself", async () => {
  const dir = await Deno.makeTempDir({ prefix: "futures_test_" });
  try {
    const script = `${dir}/main.ts`;
    await Deno.writeTextFile(
      script,
      `import { asCompleted, ThreadPoolExecutor } from ${
        JSON.stringify(FUTURES.href)
      };
import { sleep } from ${JSON.stringify(TASKS.href)};

await using executor = new ThreadPoolExecutor(4, ${JSON.stringify(TASKS.href)});
const mapped = [];
for await (const ms of executor.map(sleep, [200, 50, 50, 50])) mapped.push(ms);
const futures = [300, 100, 100].map((ms) => executor.submit(sleep, ms));
let completed = 0;
for await (const future of asCompleted(futures)) completed += (await future.result()) ? 1 : 0;
console.log(JSON.stringify({ mapped, completed }));
`,
    );
    const child = denoCommand(["run", script], {
      permissions: ["-A"],
      cwd: dir,
    }).spawn();
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, 30_000);
    const { code, stdout, stderr } = await child.output();
    clearTimeout(timer);
    const err = new TextDecoder().decode(stderr);
    assert.ok(!killed, `the script did not exit within 30 s; stderr: ${err}`);
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), {
      mapped: [200, 50, 50, 50],
      completed: 3,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// A task may leave a timer behind whose uncaught error kills its Worker after
// it replied: the pool must drop that Worker, not post the next task to it.
Deno.test({
  name: "a Worker that dies while idle is replaced",
  async fn() {
    await using executor = new ThreadPoolExecutor(1, TASKS);
    assert.equal(
      await executor.submit(throwLater, "late").result(),
      "returned",
    );
    await delay(200); // the uncaught error kills the Worker, now idle
    assert.equal(await executor.submit(sleep, 1, "ok").result(), "ok");
  },
});

// Short tasks: a Worker holds its next task while it runs one. If it dies,
// the running task fails and the one it held runs on a new Worker.
Deno.test({
  name: "a Worker that dies holding a task: the held task runs elsewhere",
  async fn() {
    await using executor = new ThreadPoolExecutor(1, TASKS);
    await warmUp(executor);
    const crashing = executor.submit(crash, 100);
    const held = executor.submit(identity, "held");
    const exc = await errorOf(crashing);
    assert.match(exc.message, /crashed after 100 ms/);
    assert.equal(await held.result(), "held");
    assert.equal(executor.workersCreated, 2);
  },
});

// An error whose fields JSON cannot hold (a BigInt) still reaches the caller
// with its own message, and a pool of one fast Worker keeps working after it.
Deno.test({
  name: "an error with a BigInt field crosses, and the pool goes on",
  async fn() {
    await using executor = new ThreadPoolExecutor(1, TASKS);
    await warmUp(executor);
    const exc = await errorOf(executor.submit(failWithBigInt, "big"));
    assert.equal(await executor.submit(identity, "after").result(), "after");
    assert.equal(exc.message, "big");
  },
});

Deno.test("Workers that cannot start break the pool: BrokenThreadPool, once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "futures_test_" });
  try {
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { BrokenThreadPool, ThreadPoolExecutor } from ${
        JSON.stringify(FUTURES.href)
      };
import { identity } from ${JSON.stringify(TASKS.href)};
const executor = new ThreadPoolExecutor(3, ${JSON.stringify(TASKS.href)});
const futures = [1, 2, 3, 4].map((i) => executor.submit(identity, i));
for (const future of futures) {
  const exc = await future.exception();
  console.log(exc instanceof BrokenThreadPool);
}
try {
  executor.submit(identity, 5);
} catch (exc) {
  console.log("submit:", exc instanceof BrokenThreadPool);
}
`,
    );
    // No read permission: a Worker cannot load its own code.
    const { code, stdout, stderr } = await denoCommand(
      ["run", `${dir}/main.ts`],
      { permissions: ["--no-prompt"] },
    ).output();
    const out = new TextDecoder().decode(stdout);
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, err);
    assert.equal(out, "true\ntrue\ntrue\ntrue\nsubmit: true\n");
    // Deno prints each dead Worker's error: one or two, not one per call.
    assert.ok(err.split("Requires read access").length - 1 <= 2, err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
