/**
 * The body of every `ThreadPoolExecutor` Web Worker: it serves the calls of
 * the module that its name is the URL of (see `serveCalls`), posting back
 * the replies, and stamps each turn of its event loop in the shared memory
 * that the pool sends first (a `Watch`).
 *
 * @module
 */
import type { ToWorker } from "./call.ts";
import { serveCalls } from "./serve.ts";

/**
 * Where a Worker stamps the turns of its loop: `stamps[0]`, the
 * milliseconds from `epoch` (on the clock of `performance.timeOrigin +
 * performance.now()`), which the pool reads without a message.
 */
export interface Watch {
  /** One `Int32` on a `SharedArrayBuffer`. */
  stamps: Int32Array;
  /** Where the stamps count from. */
  epoch: number;
}

/** What a Worker's global scope has that a window's lacks. */
interface WorkerScope {
  name: string;
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

if (import.meta.main) {
  const scope = globalThis as unknown as WorkerScope;
  let watch: Watch | undefined;
  const serve = serveCalls(scope.name, {
    send: (message) => scope.postMessage(message),
    beat: (now) => {
      if (watch) Atomics.store(watch.stamps, 0, Math.round(now - watch.epoch));
    },
  });
  scope.onmessage = ({ data }: MessageEvent<Watch | ToWorker>) => {
    if ("stamps" in data) watch = data;
    else serve(data);
  };
}
