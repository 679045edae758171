/**
 * Workers carry many calls (`pool.ts`), over both pools: calls that await
 * share a worker, a call that blocks keeps one to itself, `maxWorkers`
 * bounds the calls at once as a server counts them, and `submit` runs only
 * the module's own functions. Then the programs of
 * `testing/futures_programs.ts`, each in a process of its own: no call is
 * stranded behind a worker that a call blocks after awaiting, one call's
 * stray error or exit is that call's, big buffers cross whole, many small
 * calls come back in order. Counts, order and outcomes are asserted, never
 * times; a program whose calls are stranded never ends, and the test's
 * guard fails it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { block, fetchText, identity, sleep } from "../tests/fixtures/tasks.ts";
import { errorOf, POOLS, TASKS } from "../tests/fixtures/pools.ts";
import { decode, denoCommand } from "../testing/process.ts";
import type { Result } from "../testing/futures_programs.ts";

const PROGRAMS = new URL("../testing/futures_programs.ts", import.meta.url);

/**
 * Runs a program of `testing/futures_programs.ts` on Workers, or with
 * `--processes`, and returns the JSON line it printed and its standard
 * error; a program that has not ended in 2 minutes has stranded calls.
 */
async function runProgram(
  name: string,
  processes: boolean,
): Promise<{ result: Result; stderr: string }> {
  const args = ["run", PROGRAMS.href, name];
  if (processes) args.push("--processes");
  const out = await denoCommand(args, {
    permissions: ["-A"],
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = decode(out.stderr);
  assert.equal(out.code, 0, `${name}: ${stderr}`);
  return { result: JSON.parse(decode(out.stdout)), stderr };
}

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

for (const { name, make } of POOLS) {
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
    // Blocked longer than a worker takes to be found blocked and replaced.
    const futures = [1, 2, 3].map(() => executor.submit(block, 2000));
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

for (
  const [pool, processes] of [["Workers", false], ["processes", true]] as const
) {
  Deno.test(`on ${pool}: a call that blocks its worker after awaiting strands none of the 20 calls beside it`, async () => {
    const { result } = await runProgram("strand", processes);
    assert.equal((result.ends as number[]).length, 20);
    assert.equal(result.napsBesideLong, 0); // none ran on its worker while it ran
  });

  Deno.test(`on ${pool}: a call that loops forever after awaiting strands none of the 11 calls beside it`, async () => {
    const { result } = await runProgram("spin", processes);
    assert.equal(result.ended, 11);
  });

  for (
    const [program, fn, what] of [
      ["stray-timer", "strayTimer", /thrown from a timer/],
      ["stray-rejection", "strayRejection", /a rejection nothing handles/],
    ] as const
  ) {
    Deno.test(`on ${pool}: ${program}: printed with its call, and the 31 calls beside it succeed`, async () => {
      const { result, stderr } = await runProgram(program, processes);
      assert.deepEqual(result, { ok: 31, outcome: "returned", after: "after" });
      const where = `Exception in a worker of the pool, in a call of ${fn}()`;
      assert.ok(stderr.includes(where), stderr);
      assert.match(stderr, what);
    });
  }

  Deno.test(`on ${pool}: Deno.exit() in a call fails that call with SystemExit; the 31 beside it succeed, the pool goes on`, async () => {
    const { result } = await runProgram("stray-exit", processes);
    assert.equal(result.ok, 31);
    assert.equal(result.after, "after");
    assert.match(
      result.outcome as string,
      /^SystemExit: Deno\.exit\(3\) was called in a call of strayExit\(\)/,
    );
  });

  Deno.test(`on ${pool}: a call that computes before its first await keeps its worker: plain calls run elsewhere`, async () => {
    const { result } = await runProgram("first-part", processes);
    assert.equal(result.besideFirst, 0);
  });

  Deno.test(`on ${pool}: calls that compute after awaiting all end`, async () => {
    const { result } = await runProgram("compute-after-await", processes);
    assert.ok((result.workers as number) >= 1);
  });

  Deno.test(`on ${pool}: 10,000 small calls, and map over 10,000 items, in order`, async () => {
    for (const program of ["trivial", "map"]) {
      const { result } = await runProgram(program, processes);
      assert.equal(result.inOrder, true, program);
    }
  });

  Deno.test(`on ${pool}: 10,000 calls that await, never more than maxWorkers at once`, async () => {
    const { result } = await runProgram("await10", processes);
    assert.equal(result.peak, 100);
  });
}

Deno.test("on Workers: Uint8Array arguments of 1, 10, 50 MB, and 8 of 50 MB at once, cross whole", async () => {
  const { result } = await runProgram("buffers", false);
  assert.equal(result.intact, true);
});
