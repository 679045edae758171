/**
 * A progress bar in the style of Python's tqdm, drawn on standard error
 * while an iterable is consumed, as the book's scripts wrap theirs in
 * `tqdm.tqdm`.
 *
 * Workers load the scripts, and so this module: cli-progress is imported
 * only when a bar is drawn.
 *
 * @module
 */
// @ts-types="npm:@types/cli-progress@3.11.6"
import type { GenericFormatter, SingleBar } from "cli-progress";

/**
 * Draws a bar on standard error, if it is a terminal, one step per item of
 * `iterable`.
 *
 * @param iterable what the loop consumes
 * @param total how many items it holds
 * @returns the same items, to loop over with `for await`
 */
export function tqdm<T>(
  iterable: AsyncIterable<T>,
  total: number,
): AsyncIterable<T>;
/**
 * Draws the bar over a plain iterable.
 *
 * @param iterable what the loop consumes
 * @param total how many items it holds
 * @returns the same items: loop over them with `for await`
 */
export function tqdm<T>(
  iterable: Iterable<T>,
  total: number,
): Iterable<T> | AsyncIterable<T>;
export function tqdm<T>(
  iterable: Iterable<T> | AsyncIterable<T>,
  total: number,
): Iterable<T> | AsyncIterable<T> {
  if (!Deno.stderr.isTerminal()) return iterable;
  return {
    [Symbol.asyncIterator]() {
      const it = Symbol.asyncIterator in iterable
        ? iterable[Symbol.asyncIterator]()
        : iterable[Symbol.iterator]();
      const bar = startBar(total);
      let started = false;
      return {
        async next() {
          if (started) (await bar).increment();
          started = true;
          const result = await it.next();
          if (result.done) (await bar).stop();
          return result;
        },
        async return() {
          (await bar).stop();
          return (await it.return?.()) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

async function startBar(total: number): Promise<SingleBar> {
  const { SingleBar } = await import("cli-progress");
  const bar = new SingleBar({ format: tqdmFormat, hideCursor: true });
  bar.start(total, 0);
  return bar;
}

/** tqdm's ` 45%|████▌     | 304/676 [00:03<00:04, 95.27it/s]`. */
const tqdmFormat: GenericFormatter = (options, params) => {
  const elapsed = (Date.now() - params.startTime) / 1000;
  const rate = elapsed > 0 ? params.value / elapsed : 0;
  const remaining = rate > 0 ? (params.total - params.value) / rate : 0;
  const width = options.barsize ?? 40;
  const done = Math.round(params.progress * width);
  const bar = "█".repeat(done) + " ".repeat(width - done);
  const pct = String(Math.floor(params.progress * 100)).padStart(3);
  return `${pct}%|${bar}| ${params.value}/${params.total} ` +
    `[${clock(elapsed)}<${clock(remaining)}, ${rate.toFixed(2)}it/s]`;
};

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const mm = String(Math.floor(s / 60)).padStart(2, "0");
  return `${mm}:${String(s % 60).padStart(2, "0")}`;
}
