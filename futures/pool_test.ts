/**
 * Workers carry many calls (`pool.ts`), over both pools: calls that await
 * share a worker, a call that blocks keeps one to itself, `maxWorkers`
 * bounds the calls at once as a server counts them, a worker that dies
 * fails every call it carried, and `submit` runs only the module's own
 * functions. Counts and order are asserted, never times.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  block,
  crash,
  fetchText,
  identity,
  sleep,
} from "../tests/fixtures/tasks.ts";
import { errorOf, POOLS, TASKS } from "../tests/fixtures/pools.ts";
import { denoCommand } from "../testing/process.ts";

/** A loopback server that holds each response `ms` and counts the requests it holds at once. */
function countingServer(ms: number) {
  let inFlight = 0;
  let peak = 0;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight -= 1;
      return new Response("ok");
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    peak: () => peak,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

for (const { name, make, Broken } of POOLS) {
  Deno.test(`${name}: calls of an async function share one worker from the start, and the server holds them all at once`, async () => {
    await using server = countingServer(400);
    await using executor = make(8);
    const futures = Array.from(
      { length: 8 },
      () => executor.submit(fetchText, server.url),
    );
    const ids = new Set<string>();
    for (const future of futures) ids.add((await future.result()).id);
    assert.equal(server.peak(), 8);
    assert.equal(ids.size, 1);
    assert.equal(executor.workersCreated, 1);
    assert.equal(executor.peakRunning, 8);
  });

  Deno.test(`${name}: calls of another function: while the first worker loads, a second starts, and no more`, async () => {
    await using executor = make(8);
    const futures = Array.from(
      { length: 8 },
      (_, i) => executor.submit(sleep, 400, i),
    );
    for (const [i, future] of futures.entries()) {
      assert.equal(await future.result(), i);
    }
    assert.equal(executor.workersCreated, 2);
  });

  Deno.test(`${name}: a call that blocks keeps its worker to itself`, async () => {
    await using executor = make(3);
    const futures = [1, 2, 3].map(() => executor.submit(block, 600));
    const ids = new Set(await Promise.all(futures.map((f) => f.result())));
    assert.equal(ids.size, 3);
    assert.equal(executor.workersCreated, 3);
  });

  Deno.test(`${name}: calls that await are not held up by one that blocks`, async () => {
    await using server = countingServer(100);
    await using executor = make(4);
    const blocking = executor.submit(block, 4_000);
    const awaiting = [1, 2, 3].map(() =>
      executor.submit(fetchText, server.url)
    );
    const ids = new Set<string>();
    for (const future of awaiting) ids.add((await future.result()).id);
    assert.ok(
      !blocking.done(),
      "the awaiting calls waited for the blocking one",
    );
    assert.equal(ids.size, 1);
    assert.ok(!ids.has(await blocking.result()));
    assert.equal(executor.workersCreated, 2);
  });

  Deno.test(`${name}: never more than maxWorkers calls at once, as the server counts them`, async () => {
    await using server = countingServer(150);
    await using executor = make(4);
    const futures = Array.from(
      { length: 20 },
      () => executor.submit(fetchText, server.url),
    );
    assert.equal(futures.filter((f) => f.running()).length, 4);
    for (const future of futures) {
      assert.equal((await future.result()).text, "ok");
    }
    assert.equal(server.peak(), 4);
    assert.equal(executor.peakRunning, 4);
  });

  Deno.test(`${name}: a worker that dies fails every call it carried`, async () => {
    const executor = make(5);
    assert.equal(await executor.submit(identity, 0).result(), 0); // one worker is up
    const carried = [1, 2, 3, 4].map(() => executor.submit(sleep, 10_000));
    carried.push(executor.submit(crash, 300));
    for (const future of carried) {
      const exc = await errorOf(future);
      assert.ok(exc instanceof Broken, `${exc}`);
      assert.match(exc.message, /while it ran sleep\(\), sleep\(\)/);
    }
    if (name === "ThreadPoolExecutor") { // a Worker's death breaks nothing else
      assert.equal(await executor.submit(identity, "next").result(), "next");
    } else {
      assert.throws(() => executor.submit(identity, 1), Broken);
    }
    await executor.shutdown();
  });

  Deno.test(`${name}: submit runs only the module's own function, not another of its name`, async () => {
    await using executor = make(1);
    const sleep = (ms: number) => ms * 2; // not tasks.ts's sleep
    const exc = await errorOf(executor.submit(sleep, 10));
    assert.ok(exc instanceof TypeError);
    assert.match(
      exc.message,
      /sleep is not the function that .*tasks\.ts exports/,
    );
    assert.equal(await executor.submit(identity, 7).result(), 7);
  });
}

Deno.test("a program that never shuts its ThreadPoolExecutor down ends once the calls are done", async () => {
  const source = `
    import { ThreadPoolExecutor } from ${
    JSON.stringify(import.meta.resolve("../futures.ts"))
  };
    import { sleep } from ${JSON.stringify(TASKS.href)};
    const executor = new ThreadPoolExecutor(2, ${JSON.stringify(TASKS.href)});
    console.log(await executor.submit(sleep, 50, "result").result());
  `;
  const { code, stdout } = await denoCommand(["eval", source], {
    permissions: ["-A"],
    signal: AbortSignal.timeout(60_000), // a hang fails the test
  }).output();
  assert.equal(new TextDecoder().decode(stdout).trim(), "result");
  assert.equal(code, 0);
});
