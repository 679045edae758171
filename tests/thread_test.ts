/**
 * Tests of what only `ThreadPoolExecutor` does, as CPython's
 * `test_thread_pool`: its Workers start only when calls block, a Worker that
 * dies is replaced, Workers that cannot start break the pool, and Ctrl-C
 * ends a download script with hundreds of calls in flight. The contract both
 * pools share is in futures_test.ts, how Workers carry calls in
 * futures/pool_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asCompleted, Future, ThreadPoolExecutor } from "../futures.ts";
import {
  block,
  fail,
  identity,
  sleep,
  threadId,
  throwLater,
} from "./fixtures/tasks.ts";
import { delay, FUTURES, TASKS } from "./fixtures/pools.ts";
import { denoCommand } from "../testing/process.ts";
import {
  describe,
  listDir,
  LOCALHOST,
  ownLines,
  repoPath,
  runDeno,
  scriptCommand,
  tempDir,
} from "../testing/harness.ts";
import { startServer } from "../slow_server.ts";

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

Deno.test("calls that block make the pool grow, up to maxWorkers", async () => {
  await using executor = new ThreadPoolExecutor(4, TASKS);
  const futures = Array.from({ length: 8 }, () => executor.submit(block, 300));
  const ids = new Set(await Promise.all(futures.map((f) => f.result())));
  assert.ok(ids.size > 1, `${ids.size}`);
  assert.ok(executor.workersCreated <= 4, `${executor.workersCreated}`);
  assert.ok(!ids.has(threadId())); // and the Workers are not this thread
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

Deno.test("a Worker stopped while another fetches its module by URL does not fail that fetch", async () => {
  // Deno 2.9.6 lends one Worker's connections to the others: ending the
  // first failed the second's fetch ("dispatch task is gone"), and so the
  // whole program. The host answers as the program asks: the main thread's
  // fetches on connections of their own, the first pool's Worker on one it
  // keeps, then the second pool's Worker's fetch held while the first stops.
  let phase: "main" | "one" | "two" = "main";
  const held = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const steps: Record<string, () => Promise<void> | void> = {
    one: () => void (phase = "one"),
    two: () => void (phase = "two"),
    held: () => held.promise,
    release: () => release.resolve(),
  };
  const close = { connection: "close" };
  await using host = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = new URL(request.url).pathname.slice(1);
      if (path in steps) {
        await steps[path]();
        return new Response("ok", { headers: close });
      }
      if (phase === "two" && path === "tests/fixtures/tasks.ts") {
        held.resolve();
        await release.promise;
      }
      const text = await Deno.readTextFile(repoPath(path));
      return new Response(text, { headers: phase === "main" ? close : {} });
    },
  );
  const base = `http://127.0.0.1:${host.addr.port}/`;
  const tasks = JSON.stringify(`${base}tests/fixtures/tasks.ts`);
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/main.ts`,
    `import { ThreadPoolExecutor } from ${JSON.stringify(FUTURES.href)};
import { identity } from ${tasks};

const step = async (name: string) => await (await fetch("${base}" + name)).text();
await step("one");
const one = new ThreadPoolExecutor(1, ${tasks});
console.log(await one.submit(identity, "one").result());
await step("two");
const two = new ThreadPoolExecutor(1, ${tasks});
const future = two.submit(identity, "two");
await step("held"); // its Worker fetches the module
void one.shutdown({ wait: false }); // the first Worker, idle, stops
console.log("one stopped");
await step("release");
console.log(await future.result());
await two.shutdown();
`,
  );
  const reload = ["tasks.ts", "errors.ts"]
    .map((file) => `${base}tests/fixtures/${file}`);
  const result = await runDeno(`${dir.path}/main.ts`, [], dir.path, {
    permissions: ["-A", `--reload=${reload}`],
  });
  const why = describe("main.ts", result);
  assert.deepEqual(ownLines(result.stderr), [], why);
  assert.equal(result.code, 0, why);
  assert.equal(result.stdout, "one\none stopped\ntwo\n", why);
});

Deno.test("a stray error from a timer, after its call returned, is printed; the Worker goes on with the next call", async () => {
  await using executor = new ThreadPoolExecutor(1, TASKS);
  const worker = await executor.submit(threadId).result();
  assert.equal(
    await executor.submit(throwLater, "late").result(),
    "returned",
  );
  await delay(100); // the timer throws, in the Worker, now idle
  assert.equal(await executor.submit(threadId).result(), worker);
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

Deno.test("Ctrl-C with 600 downloads in flight on at most two Workers: every call aborted, the report, exit 130", async () => {
  // The server would hold each response 30 s: ending sooner means the calls were aborted.
  await using server = await startServer({ ...LOCALHOST, delay: 30 });
  await using dir = await tempDir();
  const args = ["-s", server.url, "-e", "-m", "1000", "-v"];
  const child = scriptCommand("threadpool", args, dir.path).spawn();
  const output = child.output();
  const deadline = Date.now() + 60_000;
  while (server.peak() < 600 && Date.now() < deadline) await delay(50);
  assert.ok(server.peak() >= 600, `only ${server.peak()} requests at once`);
  const interrupted = Date.now();
  child.kill("SIGINT");
  const { code, stdout } = await output;
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 130, text);
  assert.ok(Date.now() - interrupted < 25_000, "waited for the server");
  const workers = /The pool created (\d+) Workers?; at most (\d+) downloads/
    .exec(text);
  assert.ok(workers, text);
  assert.ok(Number(workers[1]) <= 2, workers[0]);
  assert.ok(Number(workers[2]) >= 600, workers[0]);
  assert.deepEqual(await listDir(`${dir.path}/downloads`).catch(() => []), []);
});
