/**
 * The contract of futures.ts, run over both pools as CPython's
 * `create_executor_tests` runs its suite over each executor: the behaviour of
 * `test_concurrent_futures/` (`test_wait`, `test_as_completed`,
 * `test_future`, `test_shutdown`, `test_init`, executor.py) and Python
 * 3.14's `map(buffersize=)`, with real Workers and child processes running
 * tests/fixtures/tasks.ts. Timing is only ever checked from below: the
 * assertions are on order, sets and counts.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ALL_COMPLETED,
  asCompleted,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  ShutdownError,
  TimeoutError,
  wait,
} from "../futures.ts";
import {
  add,
  fail,
  failImported,
  failInit,
  failWithBigInt,
  greet,
  HTTPStatusError,
  identity,
  initGreeting,
  sleep,
  throwString,
  unclonable,
  writeText,
} from "./fixtures/tasks.ts";
import { RemoteError } from "./fixtures/errors.ts";
import { delay, errorOf, POOLS } from "./fixtures/pools.ts";

// The book's 10 s / 1 s downloads, scaled down to 600 ms / 100 ms.
const DURATIONS: [number, string][] = [
  [600, "slow"],
  [100, "fast1"],
  [100, "fast2"],
  [100, "fast3"],
];

/** A future cancelled before it ran. */
function cancelledFuture(): Future<never> {
  const future = new Future<never>();
  future.cancel();
  return future;
}

for (const { name, make, Broken } of POOLS) {
  Deno.test(`${name}: map yields in submission order, the slow first result first`, async () => {
    await using executor = make(4);
    const start = performance.now();
    const results = [];
    let firstAt = 0;
    for await (const ms of executor.map(sleep, DURATIONS.map(([ms]) => ms))) {
      if (!results.length) firstAt = performance.now() - start;
      results.push(ms);
    }
    assert.deepEqual(results, [600, 100, 100, 100]);
    assert.ok(firstAt >= 590, `first result after ${firstAt} ms`);
  });

  Deno.test(`${name}: asCompleted yields the fast calls before the slow one`, async () => {
    await using executor = make(4);
    const keyOf = new Map<Future<unknown>, string>();
    // The slow call is slower here: the fast ones may wait for a worker to start.
    for (const [ms, key] of [[1_500, "slow"], ...DURATIONS.slice(1)] as const) {
      keyOf.set(executor.submit(sleep, ms, key), key);
    }
    const order: string[] = [];
    for await (const future of asCompleted(keyOf.keys())) {
      assert.equal(await future.result(), keyOf.get(future));
      order.push(keyOf.get(future)!);
    }
    assert.equal(order.at(-1), "slow", `order: ${order}`);
    assert.deepEqual(order.toSorted(), ["fast1", "fast2", "fast3", "slow"]);
  });

  Deno.test(`${name}: map zips its iterables, the shortest ends the calls`, async () => {
    await using executor = make(2);
    const sums = await Array.fromAsync(
      executor.map(add, [1, 2, 3, 4], [10, 20, 30]),
    );
    assert.deepEqual(sums, [11, 22, 33]);
    assert.deepEqual(await Array.fromAsync(executor.map(add, [], [1])), []);
  });

  Deno.test(`${name}: map raises the error of a call when its turn comes`, async () => {
    await using executor = make(2);
    const results = executor.map(fail, ["a", "b"], [404, 500]);
    await assert.rejects(results.next(), HTTPStatusError);
    const mapped = executor.map(identity, [1, 2]);
    assert.deepEqual(await Array.fromAsync(mapped), [1, 2]);
  });

  Deno.test(`${name}: map's timeout counts from the call: the results in time, then TimeoutError`, async () => {
    await using executor = make(3);
    const results: number[] = [];
    const mapped = executor.map(sleep, [0, 0, 3_000], { timeout: 1 });
    await assert.rejects(async () => {
      for await (const ms of mapped) results.push(ms);
    }, TimeoutError);
    assert.deepEqual(results, [0, 0]);
  });

  Deno.test(`${name}: map with buffersize draws from an endless iterable no more than it needs`, async () => {
    await using executor = make(2);
    let drawn = 0;
    function* naturals() {
      for (let i = 0;; i++) {
        drawn += 1;
        yield i;
      }
    }
    const results: number[] = [];
    for await (
      const n of executor.map(identity, naturals(), { buffersize: 3 })
    ) {
      results.push(n);
      // Python submits one more before it awaits the oldest.
      assert.ok(drawn <= results.length + 3, `${drawn} drawn`);
      if (results.length === 10) break;
    }
    assert.deepEqual(results, [...Array(10).keys()]);
    for (const buffersize of [0, -1, 1.5]) {
      assert.throws(
        () => executor.map(identity, [1], { buffersize }),
        RangeError,
      );
    }
  });

  Deno.test(`${name}: leaving a map early cancels the calls not started`, async () => {
    await using executor = make(1);
    for await (const ms of executor.map(sleep, [50, 1_000, 1_000, 1_000])) {
      assert.equal(ms, 50);
      break;
    }
    // The three others were cancelled, or one was running: shutdown waits.
  });

  Deno.test(`${name}: maxWorkers, Python's default, and a bad value`, () => {
    const cpus = navigator.hardwareConcurrency;
    const expected = name.startsWith("Thread") ? Math.min(32, cpus + 4) : cpus;
    const pool = make();
    assert.equal(pool.maxWorkers, expected);
    assert.equal(make(3).maxWorkers, 3);
    for (const bad of [0, -1]) {
      assert.throws(() => make(bad), /maxWorkers must be greater than 0/);
    }
  });

  Deno.test(`${name}: errors cross with their class and fields, and the pool goes on`, async (t) => {
    await using executor = make(2);
    const stillWorks = async () => {
      assert.equal(await executor.submit(identity, "ok").result(), "ok");
    };
    await t.step("a class the module exports", async () => {
      const exc = await errorOf(executor.submit(fail, "Not Found", 404));
      assert.ok(exc instanceof HTTPStatusError);
      assert.equal(exc.status, 404);
      assert.equal(exc.message, "Not Found");
      assert.match(exc.stack ?? "", /fixtures\/tasks\.ts/);
      await stillWorks();
    });
    await t.step(
      "a class the module only imports: its name, not its class",
      async () => {
        const exc = await errorOf(executor.submit(failImported, "far"));
        assert.equal(exc.name, "RemoteError");
        assert.ok(!(exc instanceof RemoteError));
        assert.equal((exc as RemoteError).where, "worker");
      },
    );
    await t.step("a thrown string becomes an Error with its text", async () => {
      assert.equal(
        (await errorOf(executor.submit(throwString, "boom"))).message,
        "boom",
      );
    });
    await t.step(
      "an unclonable return value or argument fails the call",
      async () => {
        assert.equal(
          (await errorOf(executor.submit(unclonable))).name,
          "DataCloneError",
        );
        const exc = await errorOf(executor.submit(identity, () => 1));
        assert.equal(exc.name, "DataCloneError");
        await stillWorks();
      },
    );
    await t.step("a function the module does not export", async () => {
      const local = () => 42;
      const exc = await errorOf(executor.submit(local));
      assert.match(
        exc.message,
        /fixtures\/tasks\.ts exports no function local\b/,
      );
      assert.throws(() => executor.submit(() => 1), TypeError); // no name
    });
    await t.step("a BigInt field, and many failures in a row", async () => {
      assert.equal(
        (await errorOf(executor.submit(failWithBigInt, "big"))).message,
        "big",
      );
      const futures = Array.from(
        { length: 20 },
        (_, i) => executor.submit(fail, `failure ${i}`, 400 + i),
      );
      for (const [i, future] of futures.entries()) {
        const exc = await errorOf(future);
        assert.equal((exc as HTTPStatusError).status, 400 + i);
      }
      await stillWorks();
    });
  });

  Deno.test(`${name}: errorClasses: a class the module only imports crosses as itself`, async () => {
    await using executor = make(1, { errorClasses: [RemoteError] });
    const exc = await errorOf(executor.submit(failImported, "far"));
    assert.ok(exc instanceof RemoteError);
    assert.equal(exc.where, "worker");
    assert.equal(exc.message, "far");
  });

  // test_wait
  Deno.test(`${name}: wait FIRST_COMPLETED: done holds what finished first`, async () => {
    await using executor = make(2);
    const quick = executor.submit(identity, 42);
    const slow = executor.submit(sleep, 1_500);
    await quick.result();
    const { done, notDone } = await wait([quick, slow], {
      returnWhen: FIRST_COMPLETED,
    });
    assert.deepEqual(done, new Set([quick]));
    assert.deepEqual(notDone, new Set([slow]));
  });

  Deno.test(`${name}: wait FIRST_COMPLETED counts a cancelled future as done`, async () => {
    await using executor = make(1);
    const cancelled = cancelledFuture();
    const slow = executor.submit(sleep, 1_500);
    const { done, notDone } = await wait([cancelled, slow], {
      returnWhen: FIRST_COMPLETED,
    });
    assert.deepEqual([done, notDone], [new Set([cancelled]), new Set([slow])]);
  });

  Deno.test(`${name}: wait FIRST_EXCEPTION returns at the first error`, async () => {
    await using executor = make(3);
    const slow = executor.submit(sleep, 1_500);
    const failing = executor.submit(fail, "no", 500);
    const { done, notDone } = await wait([slow, failing], {
      returnWhen: FIRST_EXCEPTION,
    });
    assert.ok(done.has(failing));
    assert.deepEqual(notDone, new Set([slow]));
    // A future that raised already: wait returns at once.
    const again = await wait([failing, slow], { returnWhen: FIRST_EXCEPTION });
    assert.ok(again.notDone.has(slow));
  });

  Deno.test(`${name}: wait FIRST_EXCEPTION with no error waits for all; a cancelled future is no error`, async () => {
    await using executor = make(2);
    const futures = [
      executor.submit(sleep, 100),
      executor.submit(identity, 1),
      cancelledFuture(),
    ];
    const { done, notDone } = await wait(futures, {
      returnWhen: FIRST_EXCEPTION,
    });
    assert.equal(done.size, 3);
    assert.equal(notDone.size, 0);
  });

  Deno.test(`${name}: wait ALL_COMPLETED, with errors, cancelled futures and promises`, async () => {
    await using executor = make(2);
    const futures = [
      executor.submit(identity, 1),
      executor.submit(fail, "no", 500),
      cancelledFuture(),
    ];
    const promise = delay(50).then(() => "plain");
    const { done, notDone } = await wait<unknown>([...futures, promise], {
      returnWhen: ALL_COMPLETED,
    });
    assert.equal(done.size, 4);
    for (const future of futures) assert.ok(done.has(future));
    assert.equal(notDone.size, 0);
  });

  Deno.test(`${name}: wait's timeout returns what is done, without an error`, async () => {
    await using executor = make(2);
    const quick = executor.submit(identity, 1);
    const slow = executor.submit(sleep, 3_000);
    await quick.result();
    const { done, notDone } = await wait([quick, slow], { timeout: 0.3 });
    assert.deepEqual(done, new Set([quick]));
    assert.deepEqual(notDone, new Set([slow]));
    slow.cancel(); // running: too late, the pool's shutdown waits for it
  });

  // test_as_completed
  Deno.test(`${name}: asCompleted's timeout: what finished in time, then TimeoutError`, async () => {
    await using executor = make(2);
    const quick = executor.submit(identity, 1);
    const slow = executor.submit(sleep, 3_000);
    const cancelled = cancelledFuture();
    await quick.result();
    const seen = new Set();
    const loop = async () => {
      for await (
        const f of asCompleted([quick, slow, cancelled], { timeout: 0.5 })
      ) {
        seen.add(f);
      }
    };
    await assert.rejects(loop, TimeoutError, "1 (of 3) futures unfinished");
    assert.deepEqual(seen, new Set([quick, cancelled]));
  });

  Deno.test(`${name}: asCompleted yields a future given twice once`, async () => {
    await using executor = make(1);
    const future = executor.submit(identity, 1);
    const promise = Promise.resolve(2);
    const yielded = await Array.fromAsync(
      asCompleted<unknown>([future, future, promise, promise]),
    );
    assert.equal(yielded.length, 2);
    assert.ok(yielded.includes(future));
  });

  Deno.test(`${name}: asCompleted with a zero timeout yields the futures already done`, async () => {
    await using executor = make(1);
    const futures = [
      executor.submit(identity, 1),
      executor.submit(identity, 2),
    ];
    await Promise.all(futures.map((f) => f.result()));
    const yielded = await Array.fromAsync(asCompleted(futures, { timeout: 0 }));
    assert.deepEqual(new Set(yielded), new Set(futures));
  });

  // test_future, on a pool's futures
  Deno.test(`${name}: result and exception with a timeout`, async () => {
    await using executor = make(1);
    const slow = executor.submit(sleep, 1_000, "late");
    await assert.rejects(slow.result({ timeout: 0.1 }), TimeoutError);
    await assert.rejects(slow.exception({ timeout: 0 }), TimeoutError);
    assert.equal(await slow.result({ timeout: 30 }), "late");
    assert.equal(await slow.exception({ timeout: 0 }), undefined);
    const failing = executor.submit(fail, "no", 500);
    assert.ok(
      (await failing.exception({ timeout: 30 })) instanceof HTTPStatusError,
    );
  });

  // test_shutdown
  Deno.test(`${name}: shutdown waits for the calls; submit after it throws ShutdownError`, async () => {
    const executor = make(3);
    const futures = Array.from(
      { length: 9 },
      (_, i) => executor.submit(sleep, 100, i),
    );
    await executor.shutdown();
    assert.ok(futures.every((f) => f.done()));
    for (const [i, future] of futures.entries()) {
      assert.equal(await future.result(), i);
    }
    assert.throws(() => executor.submit(identity, 1), ShutdownError);
    await executor.shutdown(); // twice is fine
  });

  Deno.test(`${name}: shutdown({ wait: false }) returns at once; the calls still run, then the workers stop`, async () => {
    const executor = make(2);
    const futures = [300, 300, 300].map((ms) => executor.submit(sleep, ms));
    await executor.shutdown({ wait: false });
    assert.ok(futures.every((f) => !f.done()));
    assert.throws(() => executor.submit(identity, 1), ShutdownError);
    for (const future of futures) assert.equal(await future.result(), 300);
    await executor.shutdown(); // now it waits for the workers to stop
  });

  Deno.test(`${name}: shutdown({ cancelFutures: true }) cancels the calls that did not start`, async () => {
    const executor = make(1);
    const running = executor.submit(sleep, 300, "running");
    const queued = [1, 2, 3].map((i) => executor.submit(sleep, 300, i));
    assert.ok(running.running());
    assert.ok(queued.every((f) => !f.running() && !f.done()));
    await executor.shutdown({ cancelFutures: true });
    assert.equal(await running.result(), "running");
    for (const future of queued) {
      assert.ok(future.cancelled());
      await assert.rejects(future.result(), CancelledError);
      await assert.rejects(future.exception(), CancelledError); // as Python's
    }
  });

  Deno.test(`${name}: a call runs as soon as fewer than maxWorkers run, and then cannot be cancelled`, async () => {
    const executor = make(3);
    const futures = [1, 2, 3, 4, 5].map((i) => executor.submit(sleep, 300, i));
    const [running, pending] = [futures.slice(0, 3), futures.slice(3)];
    assert.ok(running.every((future) => future.running()));
    assert.ok(pending.every((future) => !future.running() && !future.done()));
    assert.ok(running.every((future) => future.cancel() === false));
    await executor.shutdown({ cancelFutures: true });
    for (const [i, future] of running.entries()) {
      assert.equal(await future.result(), i + 1);
    }
    for (const future of pending) {
      await assert.rejects(future.result(), CancelledError);
    }
  });

  Deno.test(`${name}: map submits its calls at once, iterated or not`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "futures_test_" });
    try {
      const executor = make(2);
      const paths = [1, 2, 3].map((i) => `${dir}/${i}.txt`);
      executor.map(writeText, paths, ["a", "b", "c"]); // never iterated
      await executor.shutdown();
      for (const path of paths) assert.ok(await Deno.stat(path));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${name}: a worker idle again takes the next call: one call at a time needs one worker`, async () => {
    await using executor = make(4);
    for (let i = 0; i < 5; i++) {
      assert.equal(await executor.submit(sleep, 50, i).result(), i);
    }
    assert.equal(executor.workersCreated, 1);
  });

  Deno.test(`${name}: shutdown({ wait: false, cancelFutures: true }): at once, the running call finishes, the queued are cancelled`, async () => {
    const executor = make(1);
    const running = executor.submit(sleep, 300, "running");
    const queued = [1, 2].map((i) => executor.submit(sleep, 300, i));
    await executor.shutdown({ wait: false, cancelFutures: true });
    assert.ok(!running.done() && queued.every((f) => f.cancelled()));
    assert.equal(await running.result(), "running");
    await executor.shutdown();
  });

  // test_init
  Deno.test(`${name}: the initializer runs once in each worker, before its first call`, async () => {
    await using executor = make(2, {
      initializer: initGreeting,
      initargs: ["hello"],
    });
    const futures = Array.from(
      { length: 6 },
      (_, i) => executor.submit(greet, `${i}`),
    );
    for (const [i, future] of futures.entries()) {
      assert.deepEqual(await future.result(), { text: `hello ${i}`, inits: 1 });
    }
  });

  Deno.test(`${name}: an initializer that throws breaks the pool`, async () => {
    const executor = make(2, { initializer: failInit, initargs: ["no init"] });
    const futures = [1, 2, 3].map((i) => executor.submit(identity, i));
    for (const future of futures) {
      const exc = await errorOf(future);
      assert.ok(exc instanceof Broken, String(exc));
      assert.match(exc.message, /initializer failInit\(\) failed: no init/);
      assert.ok(exc.cause instanceof HTTPStatusError);
    }
    assert.throws(() => executor.submit(identity, 4), Broken);
    await executor.shutdown();
  });

  Deno.test(`${name}: an initializer must have a name`, () => {
    const anonymous = [() => {}][0];
    assert.throws(() => make(1, { initializer: anonymous }), TypeError);
  });
}

Deno.test("Future: a callback that throws is logged; the next ones still run", async () => {
  const future = new Future<number>();
  const called: string[] = [];
  future.addDoneCallback(() => called.push("first"));
  future.addDoneCallback(() => {
    throw new Error("callback failed");
  });
  future.addDoneCallback(() => called.push("last"));
  const logged: unknown[][] = [];
  const consoleError = console.error;
  console.error = (...data: unknown[]) => logged.push(data);
  try {
    future.setResult(1);
  } finally {
    console.error = consoleError;
  }
  assert.deepEqual(called, ["first", "last"]);
  assert.equal(logged.length, 1);
  assert.match(String(logged[0][0]), /^exception calling callback for/);
  assert.equal(await future.result(), 1);
});

// test_future, without a pool
Deno.test("Future: states, callbacks, cancel, and a timeout on a pending one", async () => {
  const future = new Future<number>();
  assert.ok(!future.running() && !future.done());
  const calls: Future<number>[] = [];
  future.addDoneCallback((f) => calls.push(f));
  await assert.rejects(future.result({ timeout: 0 }), TimeoutError);
  assert.ok(future.setRunningOrNotifyCancel());
  assert.equal(future.cancel(), false); // running
  future.setResult(7);
  assert.deepEqual(calls, [future]);
  future.addDoneCallback((f) => calls.push(f)); // done: called at once
  assert.equal(calls.length, 2);
  assert.equal(await future.result({ timeout: 0 }), 7);
  const cancelled = cancelledFuture();
  assert.ok(cancelled.cancel() && cancelled.cancelled() && cancelled.done());
  assert.ok(!cancelled.setRunningOrNotifyCancel());
});

Deno.test("wait and asCompleted over promises alone; an empty wait", async () => {
  const { done, notDone } = await wait<unknown>(
    [Promise.resolve(1), delay(30)],
    {
      returnWhen: FIRST_COMPLETED,
    },
  );
  assert.equal(done.size + notDone.size, 2);
  assert.ok(done.size >= 1);
  await delay(40);
  const empty = await wait([]);
  assert.equal(empty.done.size + empty.notDone.size, 0);
  const values = [];
  for await (
    const f of asCompleted([delay(20).then(() => "b"), Promise.resolve("a")])
  ) {
    values.push(await f.result());
  }
  assert.deepEqual(values, ["a", "b"]);
});
