/**
 * A progress bar drawn as Python's tqdm draws it, on standard error while
 * an iterable is consumed, as the book's scripts wrap theirs in
 * `tqdm.tqdm`: the same meter (`formatMeter`), as wide as the terminal but
 * its last column, redrawn at most every 0.1 s with tqdm's smoothed rate, and left
 * where it was on Ctrl-C.
 *
 * @module
 */
import { interrupted } from "./interrupt.ts";

/** tqdm's bar characters: blank, then eighths of a block. */
const BLOCKS = " ▏▎▍▌▋▊▉█";
/** Seconds between two redraws at least, as tqdm's `mininterval`. */
const MIN_INTERVAL = 0.1;
/** Weight of the newest rate sample, as tqdm's `smoothing`. */
const SMOOTHING = 0.3;

/**
 * Formats `t` seconds as tqdm's clock: `MM:SS`, or `H:MM:SS` from an hour,
 * truncated to the second.
 *
 * @param t seconds, not negative
 * @returns e.g. `"00:07"`, `"1:02:05"`
 *
 * @example Truncated to the second, hours only when needed
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatInterval } from "./tqdm.ts";
 *
 * assert.equal(formatInterval(7.99), "00:07");
 * assert.equal(formatInterval(3725.9), "1:02:05");
 * ```
 */
export function formatInterval(t: number): string {
  const secs = Math.trunc(t);
  const [h, m, s] = [
    Math.floor(secs / 3600),
    Math.floor(secs / 60) % 60,
    secs % 60,
  ];
  return h ? `${h}:${pad2(m)}:${pad2(s)}` : `${pad2(m)}:${pad2(s)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * `x` with `digits` decimals, halves to even as Python's `format` does
 * (`toFixed` rounds them up: 12.5 would be 13, where tqdm shows 12).
 */
function fixed(x: number, digits: number): string {
  const scaled = x * 10 ** digits;
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    const even = 2 * Math.round(scaled / 2);
    return (even / 10 ** digits).toFixed(digits);
  }
  return x.toFixed(digits);
}

/**
 * The line tqdm draws with its defaults:
 * ` 45%|████▌     | 304/676 [00:03<00:03, 95.30it/s]`, as tqdm's
 * `format_meter` makes it.
 *
 * @param n items done
 * @param total items in all
 * @param elapsed seconds since the start
 * @param ncols the width the line may take: the bar takes what the rest
 * leaves, at least one character, and the line is cut to it (a negative
 * width cuts that many characters off its end, as Python's slice); 0 drops
 * the bar; without it the bar is 10 wide
 * @param rate items a second; by default the average, `n / elapsed`
 * @returns the line, without `\r`
 *
 * @example The first line in a terminal of 60 columns: 59 characters
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMeter } from "./tqdm.ts";
 *
 * assert.equal(
 *   formatMeter(0, 676, 0, 59),
 *   "  0%|                              | 0/676 [00:00<?, ?it/s]",
 * );
 * ```
 */
export function formatMeter(
  n: number,
  total: number,
  elapsed: number,
  ncols?: number,
  rate: number = elapsed ? n / elapsed : 0,
): string {
  const rateFmt = !rate
    ? "?it/s"
    : 1 / rate > 1
    ? `${fixed(1 / rate, 2).padStart(5)}s/it`
    : `${fixed(rate, 2).padStart(5)}it/s`;
  const remaining = rate ? formatInterval((total - n) / rate) : "?";
  const frac = n / total;
  const lBar = `${fixed(frac * 100, 0).padStart(3)}%|`;
  const rBar = `| ${n}/${total} [${formatInterval(elapsed)}<${remaining}, ` +
    `${rateFmt}]`;
  if (ncols === 0) return lBar.slice(0, -1) + rBar.slice(1);
  const width = ncols === undefined
    ? 10
    : Math.max(1, ncols - lBar.length - rBar.length);
  const nsyms = BLOCKS.length - 1;
  const eighths = Math.trunc(frac * width * nsyms);
  const full = Math.floor(eighths / nsyms);
  let bar = BLOCKS[nsyms].repeat(full);
  if (full < width) {
    bar += BLOCKS[eighths % nsyms] + " ".repeat(width - full - 1);
  }
  const line = lBar + bar + rBar;
  return ncols === undefined ? line : line.slice(0, ncols);
}

/** tqdm's exponential moving average, corrected for its first samples. */
class Ema {
  #last = 0;
  #calls = 0;
  add(x: number): void {
    this.#last = SMOOTHING * x + (1 - SMOOTHING) * this.#last;
    this.#calls += 1;
  }
  get value(): number {
    return this.#calls
      ? this.#last / (1 - (1 - SMOOTHING) ** this.#calls)
      : this.#last;
  }
}

/** One bar on a terminal: tqdm's `update` and `close`. */
class Bar {
  #n = 0;
  readonly #start = now();
  #lastPrintN = 0;
  #lastPrintT = this.#start;
  #lastLen = 0;
  readonly #dn = new Ema();
  readonly #dt = new Ema();
  readonly #ncols = terminalWidth();
  #closed = false;

  constructor(readonly total: number) {
    this.#display();
  }

  /** Counts `n` more items; redraws if `MIN_INTERVAL` has passed. */
  update(n = 1): void {
    if (this.#closed) return;
    this.#n += n;
    const t = now();
    const dt = t - this.#lastPrintT;
    if (dt < MIN_INTERVAL) return;
    this.#dn.add(this.#n - this.#lastPrintN);
    this.#dt.add(dt);
    this.#display(this.#dt.value ? this.#dn.value / this.#dt.value : 0);
    [this.#lastPrintN, this.#lastPrintT] = [this.#n, t];
  }

  /** Draws the count reached with the average rate, and ends the line; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#display();
    write("\n");
  }

  #display(rate?: number): void {
    const elapsed = now() - this.#start;
    const line = formatMeter(this.#n, this.total, elapsed, this.#ncols, rate);
    write(`\r${line}${" ".repeat(Math.max(this.#lastLen - line.length, 0))}`);
    this.#lastLen = line.length;
  }
}

function now(): number {
  return performance.now() / 1000;
}

const encoder = new TextEncoder();
function write(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/**
 * The terminal's width but its last column, measured once, as tqdm does:
 * a line that fills the last column may wrap. None if unknown.
 */
function terminalWidth(): number | undefined {
  try {
    return Deno.consoleSize().columns - 1;
  } catch {
    return undefined;
  }
}

/**
 * Draws a bar on standard error, if it is a terminal, one step per item of
 * `iterable`. Ctrl-C (`interrupted`) closes it at the count reached.
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
      const bar = new Bar(total);
      // As Python's KeyboardInterrupt ends tqdm's loop: what finished stays.
      const close = () => bar.close();
      interrupted.addEventListener("abort", close, { once: true });
      const stop = () => {
        interrupted.removeEventListener("abort", close);
        bar.close();
      };
      let started = false;
      return {
        async next() {
          // An item counts once the loop asks for the next one.
          if (started) bar.update();
          started = true;
          const result = await it.next();
          if (result.done) stop();
          return result;
        },
        async return() {
          stop();
          return (await it.return?.()) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
