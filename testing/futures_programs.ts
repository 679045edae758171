/**
 * The programs that hold `futures.ts` up beside CPython's
 * `concurrent.futures`: calls that block after awaiting, stray errors and
 * exits, big buffers, many small calls. `futures/pool_test.ts` asserts what
 * each does; `deno task bench` times each beside `bench/futures_programs.py`, the
 * same program on CPython's threads. Each runs in a process of its own and
 * prints one line of JSON:
 *
 * ```sh
 * deno run -A testing/futures_programs.ts strand               # on Workers
 * deno run -A testing/futures_programs.ts strand --processes   # on processes
 * python3 bench/futures_programs.py strand
 * ```
 *
 * A program prints as soon as it knows what it measures, and exits then:
 * some leave a call that never ends behind them, as a thread that loops
 * forever would keep CPython from ending.
 *
 * The module is also the one the pools run: the calls are its exports, and
 * it imports `futures.ts` only in `main`.
 *
 * @module
 */
import type { Executor } from "../futures.ts";

/** An id of the Worker or process that loaded this module. */
const WORKER_ID: string = crypto.randomUUID();

/** Resolves to the id of its worker after `ms` milliseconds: a call that awaits. */
export async function nap(ms: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return WORKER_ID;
}

/** How many turns of `work`'s loop take a millisecond here: set by `main`, and in each worker by the pool's initializer. */
let turnsPerMs = 0;

/**
 * The pools' initializer: `compute(ms)` does as much work in each worker as
 * it takes `ms` on one idle core of this machine, measured once by `main`.
 *
 * @param perMs turns of `work`'s loop a millisecond.
 */
export function setWorkRate(perMs: number): void {
  turnsPerMs = perMs;
}

/** `turns` turns of a loop that the compiler cannot skip; returns its sum. */
function work(turns: number): number {
  let sum = 0;
  for (let i = 0; i < turns; i++) sum = (sum * 31 + i) & 0xffff;
  return sum;
}

/** How many turns of `work` take a millisecond, measured over 50 ms. */
function measureWorkRate(): number {
  let turns = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 50) {
    work(200_000);
    turns += 200_000;
  }
  return turns / (performance.now() - t0);
}

/** Does `ms` milliseconds of processor work (on an idle core) without awaiting; returns its worker's id. */
export function compute(ms: number): string {
  work(Math.round(ms * turnsPerMs));
  return WORKER_ID;
}

/** When a call ran, and where: its worker's id, its start and end (ms, on the clock all threads and processes here share). */
export type Span = [id: string, start: number, end: number];

/** `fn(...args)`, with where and when it ran. */
async function spanOf<A extends unknown[]>(
  fn: (...args: A) => unknown,
  ...args: A
): Promise<Span> {
  const now = () => performance.timeOrigin + performance.now();
  const start = now();
  await fn(...args);
  return [WORKER_ID, start, now()];
}

/** `nap(ms)`, with where and when it ran. */
export function napSpan(ms: number): Promise<Span> {
  return spanOf(nap, ms);
}

/** `awaitThenCompute(awaitMs, computeMs)`, with where and when it ran. */
export function awaitThenComputeSpan(
  awaitMs: number,
  computeMs: number,
): Promise<Span> {
  return spanOf(awaitThenCompute, awaitMs, computeMs);
}

/** `computeThenAwait(computeMs, awaitMs)`, with where and when it ran. */
export function computeThenAwaitSpan(
  computeMs: number,
  awaitMs: number,
): Promise<Span> {
  return spanOf(computeThenAwait, computeMs, awaitMs);
}

/** `compute(ms)`, with where and when it ran; a plain function, as `compute` is. */
export function computeSpan(ms: number): Span {
  const now = () => performance.timeOrigin + performance.now();
  const start = now();
  compute(ms);
  return [WORKER_ID, start, now()];
}

/** Awaits `awaitMs`, then computes `computeMs`: it blocks its worker after awaiting. */
export async function awaitThenCompute(
  awaitMs: number,
  computeMs: number,
): Promise<string> {
  await nap(awaitMs);
  return compute(computeMs);
}

/** Computes `computeMs` before its first await, then awaits `awaitMs`. */
export async function computeThenAwait(
  computeMs: number,
  awaitMs: number,
): Promise<string> {
  compute(computeMs);
  return await nap(awaitMs);
}

/** Awaits `ms`, then loops forever: its worker's loop never turns again. */
export async function awaitThenSpin(ms: number): Promise<never> {
  await nap(ms);
  for (;;) { /* forever */ }
}

/** Awaits, then throws from a timer, after which it returns. */
export async function strayTimer(ms: number): Promise<string> {
  await nap(ms);
  setTimeout(() => {
    throw new Error("thrown from a timer");
  }, 0);
  await nap(ms);
  return "returned";
}

/** Awaits, then leaves a rejection that nothing handles, after which it returns. */
export async function strayRejection(ms: number): Promise<string> {
  await nap(ms);
  Promise.reject(new Error("a rejection nothing handles"));
  await nap(ms);
  return "returned";
}

/** Awaits, then calls `Deno.exit(3)`. */
export async function strayExit(ms: number): Promise<string> {
  await nap(ms);
  Deno.exit(3);
}

/** Returns `value`: the smallest call there is. */
export function ident<T>(value: T): T {
  return value;
}

/** The length of `bytes` and the sum of every 4096th byte: what crossed, checked. */
export function checksum(bytes: Uint8Array): [number, number] {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 4096) sum += bytes[i];
  return [bytes.length, sum];
}

/** What a program prints. */
export type Result = Record<string, unknown>;

/** A program: it makes its executor with `pool`, and returns what it measured. */
export type Program = (pool: PoolMaker) => Promise<Result>;
/** A new executor on this module, with `maxWorkers` (the pool's default if undefined). */
export type PoolMaker = (
  maxWorkers?: number,
) => Executor & { workersCreated: number; peakRunning: number };

/** Milliseconds since `t0`, to the tenth. */
function since(t0: number): number {
  return Math.round((performance.now() - t0) * 10) / 10;
}

/** The time each of `futures` ended at, from `t0`, in order of ending. */
function endTimes(
  futures: { addDoneCallback(fn: () => void): void }[],
  t0: number,
): number[] {
  const ends: number[] = [];
  for (const future of futures) {
    future.addDoneCallback(() => ends.push(since(t0)));
  }
  return ends;
}

/** The programs, by name. */
export const PROGRAMS: Record<string, Program> = {
  /** maxWorkers 8, warm: one call awaits 20 ms then computes 2 s; 20 calls each await 200 ms. */
  async strand(pool) {
    const executor = pool(8);
    await executor.submit(ident, 0).result(); // warm
    const t0 = performance.now();
    const long = executor.submit(awaitThenComputeSpan, 20, 2000);
    const naps = Array.from(
      { length: 20 },
      () => executor.submit(napSpan, 200),
    );
    const ends = endTimes(naps, t0);
    const spans = await Promise.all(naps.map((f) => f.result()));
    const longDone = long.done();
    return {
      ends,
      longDone,
      napsBesideLong: beside(spans, await long.result()),
    };
  },

  /** 3 calls await 200 ms; beside them one awaits 20 ms, then loops forever; then 8 calls await 10 ms. */
  async spin(pool) {
    const executor = pool();
    const t0 = performance.now();
    const first = Array.from({ length: 3 }, () => executor.submit(nap, 200));
    executor.submit(awaitThenSpin, 20);
    await nap(30); // the spinning call spins by now
    const more = Array.from({ length: 8 }, () => executor.submit(nap, 10));
    await Promise.all([...first, ...more].map((f) => f.result()));
    return { ended: first.length + more.length, ms: since(t0) };
  },

  /** 31 calls await 500 ms; beside them one throws from a timer after awaiting. */
  "stray-timer": (pool) => stray(pool, strayTimer),
  /** The same with an unhandled rejection. */
  "stray-rejection": (pool) => stray(pool, strayRejection),
  /** The same with `Deno.exit(3)`. */
  "stray-exit": (pool) => stray(pool, strayExit),

  /** maxWorkers 4: one async call computes 1 s before it awaits, then 4 plain calls compute 300 ms each. */
  "first-part": (pool) => firstPart(pool, computeThenAwaitSpan),
  /** The same, the first call a plain one. */
  "first-part-plain": (pool) => firstPart(pool, computeSpan),

  /** maxWorkers 4: 8 calls await 10 ms, then compute 187 ms. */
  async "compute-after-await"(pool) {
    const executor = pool(4);
    const t0 = performance.now();
    const futures = Array.from(
      { length: 8 },
      () => executor.submit(awaitThenCompute, 10, 187),
    );
    const ids = await Promise.all(futures.map((f) => f.result()));
    const ms = since(t0);
    const ideal = (8 * 187) / Math.min(4, navigator.hardwareConcurrency);
    return { ms, ideal, workers: new Set(ids).size };
  },

  /** A `Uint8Array` argument of 1, 10 and 50 MB, then 8 of 50 MB at once (maxWorkers 8). */
  async buffers(pool) {
    const executor = pool(8);
    await executor.submit(ident, 0).result(); // warm
    const result: Result = {};
    const sent: Uint8Array[] = [];
    const got: [number, number][] = [];
    for (const mb of [1, 10, 50]) {
      const bytes = randomish(mb * 1e6);
      const t0 = performance.now();
      got.push(await executor.submit(checksum, bytes).result());
      result[`${mb}MB`] = since(t0);
      sent.push(bytes);
    }
    const many = Array.from({ length: 8 }, (_, i) => randomish(50e6, i));
    const t0 = performance.now();
    got.push(
      ...await Promise.all(
        many.map((bytes) => executor.submit(checksum, bytes).result()),
      ),
    );
    result["8x50MB"] = since(t0);
    sent.push(...many);
    const expected = sent.map(checksum);
    result.intact = JSON.stringify(got) === JSON.stringify(expected);
    return result;
  },

  /** maxWorkers 4: 10,000 calls of a trivial function. */
  async trivial(pool) {
    const t0 = performance.now();
    const executor = pool(4);
    const futures = Array.from(
      { length: 10_000 },
      (_, i) => executor.submit(ident, i),
    );
    const values = await Promise.all(futures.map((f) => f.result()));
    return { ms: since(t0), inOrder: values.every((v, i) => v === i) };
  },

  /** `map` over 10,000 items, maxWorkers by default. */
  async map(pool) {
    const t0 = performance.now();
    const executor = pool();
    const values = await Array.fromAsync(
      executor.map(ident, Array.from({ length: 10_000 }, (_, i) => i)),
    );
    return { ms: since(t0), inOrder: values.every((v, i) => v === i) };
  },

  /** maxWorkers 100: 10,000 calls that await 10 ms. */
  async await10(pool) {
    const t0 = performance.now();
    const executor = pool(100);
    const futures = Array.from(
      { length: 10_000 },
      () => executor.submit(nap, 10),
    );
    await Promise.all(futures.map((f) => f.result()));
    const { peakRunning: peak, workersCreated: workers } = executor;
    return { ms: since(t0), peak, workers };
  },
};

/** 31 calls await 500 ms; beside them `fn`; then one more call, to see the pool go on. */
async function stray(
  pool: PoolMaker,
  fn: (ms: number) => Promise<string>,
): Promise<Result> {
  const executor = pool(32);
  const naps = Array.from({ length: 31 }, () => executor.submit(nap, 500));
  const odd = executor.submit(fn, 20);
  const ok = (await Promise.allSettled(naps.map((f) => f.result())))
    .filter((r) => r.status === "fulfilled").length;
  const outcome = await odd.result().catch((exc: Error) =>
    `${exc.name}: ${exc.message}`
  );
  const after = await executor.submit(ident, "after").result();
  return { ok, outcome, after };
}

/** maxWorkers 4: `first` (1 s of computing) then 4 plain calls of 300 ms; when those ended, and how many ran on the first's worker while it ran. */
async function firstPart(
  pool: PoolMaker,
  first: (ms: number, awaitMs: number) => Span | Promise<Span>,
): Promise<Result> {
  const executor = pool(4);
  const t0 = performance.now();
  const head = executor.submit(first, 1000, 10);
  const plain = Array.from(
    { length: 4 },
    () => executor.submit(computeSpan, 300),
  );
  const spans = await Promise.all(plain.map((f) => f.result()));
  const ms = since(t0);
  return { ms, besideFirst: beside(spans, await head.result()) };
}

/** How many of `spans` ran on the worker of `other` while it ran. */
function beside(spans: Span[], [otherId, otherStart, otherEnd]: Span): number {
  return spans.filter(([id, start, end]) =>
    id === otherId && start < otherEnd && end > otherStart
  ).length;
}

/** `size` bytes that differ from one buffer (`seed`) to the next. */
function randomish(size: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096 + seed) % 251;
  return bytes;
}

/** Runs the program named on the command line and prints its JSON line; exits at once. */
async function main([name, flag]: string[]): Promise<void> {
  const program = PROGRAMS[name];
  if (!program) {
    console.error(
      `usage: futures_programs.ts {${Object.keys(PROGRAMS)}} [--processes]`,
    );
    Deno.exit(2);
  }
  // Imported here: the workers, which import this module, need none of it.
  const { ProcessPoolExecutor, ThreadPoolExecutor } = await import(
    "../futures.ts"
  );
  const module = import.meta.url;
  const options = { initializer: setWorkRate, initargs: [measureWorkRate()] };
  const pool: PoolMaker = (maxWorkers) =>
    flag === "--processes"
      ? new ProcessPoolExecutor(maxWorkers, module, options)
      : new ThreadPoolExecutor(maxWorkers, module, options);
  console.log(JSON.stringify(await program(pool)));
  Deno.exit(0); // a call may spin forever
}

if (import.meta.main) await main(Deno.args);
