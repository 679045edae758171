/**
 * `ProcessPoolExecutor` on `deno` subprocesses, as Python's
 * `concurrent/futures/process.py`. Each child is a `deno run` of
 * `process_child.ts` with the parent's permissions; calls and results cross
 * an IPC channel with structured-clone semantics (`node:child_process`'s
 * "advanced" serialization), and the children's own output goes straight to
 * the terminal.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import {
  BrokenExecutor,
  Executor,
  type Future,
  type WorkItem,
  WorkQueue,
} from "./base.ts";
import type { Call, ErrorFields } from "./call.ts";

const CHILD_PATH = new URL("./process_child.ts", import.meta.url).pathname;
/** The permissions a child may be given, when the parent has them whole. */
const PERMISSIONS = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "run",
  "ffi",
  "import",
] as const;

/** A child process died, or could not start: the pool can run nothing more, as Python's `BrokenProcessPool`. */
export class BrokenProcessPool extends BrokenExecutor {
  /** Shown in stack traces, and how the class is found again across threads. */
  override name = "BrokenProcessPool";
}

type Reply = { value: unknown } | { error: ErrorFields };

/**
 * Runs functions exported by one module on a pool of at most `maxWorkers`
 * `deno` child processes, one call per child at a time, as Python's
 * `ProcessPoolExecutor`. A child is started when a call waits and none is
 * idle (starting one does not block this thread), and serves call after
 * call until `shutdown`. Starting children needs `--allow-run` and
 * `--allow-env`; each child gets the permissions this process has whole.
 *
 * @example Two calls in two processes
 * ```ts
 * import { ProcessPoolExecutor } from "../futures.ts";
 * import { sleep } from "../tests/fixtures/tasks.ts";
 *
 * await using executor = new ProcessPoolExecutor(2, import.meta.resolve("../tests/fixtures/tasks.ts"));
 * for await (const ms of executor.map(sleep, [20, 10])) console.log(ms); // 20, 10
 * ```
 */
export class ProcessPoolExecutor extends Executor {
  readonly #maxWorkers: number;
  readonly #module: string;
  readonly #queue: WorkQueue;
  readonly #idle: ChildProcess[] = [];
  readonly #busy = new Map<ChildProcess, WorkItem>();
  readonly #exited = new Map<ChildProcess, Promise<void>>();
  #workersCreated = 0;
  #peakRunning = 0;
  #broken?: BrokenProcessPool;
  /** `node:child_process`'s, loaded by the constructor: Workers and children that import this module need not. */
  #spawn?: typeof import("node:child_process").spawn;

  /**
   * A pool that runs the exports of `module` in child processes.
   *
   * @param maxWorkers the most children it starts; by default, as in Python,
   * the number of CPUs.
   * @param module the URL of the module whose exported functions it runs.
   * @throws {RangeError} if `maxWorkers` is less than 1.
   */
  constructor(maxWorkers: number | undefined, module: string | URL) {
    super();
    maxWorkers ??= navigator.hardwareConcurrency;
    if (!(maxWorkers >= 1)) throw new RangeError("maxWorkers must be >= 1");
    this.#maxWorkers = maxWorkers;
    this.#module = String(module);
    this.#queue = new WorkQueue(this.#module);
    void import("node:child_process").then(({ spawn }) => {
      this.#spawn = spawn;
      this.#dispatch();
    });
  }

  /** How many child processes this pool has started so far. */
  get workersCreated(): number {
    return this.#workersCreated;
  }

  /** The most calls that ran at once, each in its own process. */
  get peakRunning(): number {
    return this.#peakRunning;
  }

  /**
   * Schedules `fn(...args)` in a child process.
   *
   * @param fn a named function that the pool's module exports.
   * @param args its arguments, which must survive structured cloning.
   * @returns the future of the call.
   * @throws {ShutdownError} after `shutdown`.
   * @throws {BrokenProcessPool} once a child has died.
   * @throws {TypeError} if `fn` has no name.
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    if (this.#broken) throw this.#broken;
    const future = this.#queue.put(fn, args);
    this.#dispatch();
    return future;
  }

  /**
   * Waits for the submitted calls, then stops every child and waits for it
   * to exit.
   *
   * @param options `cancelFutures`: cancel the calls no child has taken.
   */
  async shutdown({ cancelFutures = false } = {}): Promise<void> {
    await this.#queue.join({ cancelFutures });
    for (const child of this.#idle.splice(0)) {
      setRef(child, true); // until it has exited
      child.disconnect();
    }
    await Promise.all(this.#exited.values());
  }

  /** Idle children take queued calls; a new child is started for a call that finds none. */
  #dispatch(): void {
    while (this.#queue.length) {
      const child = this.#idle.pop() ?? this.#maybeNewChild();
      if (!child) return;
      const task = this.#queue.take();
      if (!task) return void this.#idle.push(child);
      this.#post(child, task);
    }
  }

  /** A new child, unless the pool is full or the child cannot start (then its "error" event breaks the pool). */
  #maybeNewChild(): ChildProcess | undefined {
    if (!this.#spawn || this.#exited.size >= this.#maxWorkers) return;
    const child = this.#spawn(
      Deno.execPath(),
      [
        "run",
        "--no-prompt",
        ...permissionFlags([this.#module, import.meta.url]),
        CHILD_PATH,
        this.#module,
      ],
      {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        serialization: "advanced",
      },
    );
    child.on("error", (exc) => { // no --allow-run, say
      this.#breakPool(
        new BrokenProcessPool(
          `cannot start a child process: ${exc.message}`,
          { cause: exc },
        ),
      );
    });
    if (child.pid === undefined) return undefined;
    this.#workersCreated += 1;
    this.#exited.set(
      child,
      new Promise((resolve) => {
        child.on("exit", (code, signal) => {
          this.#exited.delete(child);
          if (!this.#queue.closed || this.#busy.has(child)) {
            this.#childDied(child, signal ?? `exit status ${code}`);
          }
          resolve();
        });
      }),
    );
    child.on("message", (reply: Reply) => this.#received(child, reply));
    return child;
  }

  #post(child: ChildProcess, task: WorkItem): void {
    this.#busy.set(child, task);
    this.#peakRunning = Math.max(this.#peakRunning, this.#busy.size);
    setRef(child, true);
    try {
      // The channel sends what it cannot clone as garbage, so try first.
      structuredClone(task.args);
      child.send({ name: task.name, args: task.args } satisfies Call);
    } catch (exc) {
      this.#idleAgain(child);
      task.future.setException(exc);
    }
  }

  #received(child: ChildProcess, reply: Reply): void {
    const { future } = this.#busy.get(child)!;
    this.#idleAgain(child);
    this.#dispatch();
    if ("value" in reply) future.setResult(reply.value);
    else {
      void this.#queue.rebuildError(reply.error)
        .then((e) => future.setException(e));
    }
  }

  /** An idle child does not keep this process alive, as Python's pool does not at exit. */
  #idleAgain(child: ChildProcess): void {
    this.#busy.delete(child);
    this.#idle.push(child);
    setRef(child, false);
  }

  /** A child died unasked: its call, and every call still queued, fail; the other children stop. */
  #childDied(child: ChildProcess, how: string): void {
    const task = this.#busy.get(child);
    const during = task ? ` while it ran ${task.name}()` : "";
    this.#breakPool(
      new BrokenProcessPool(
        `a child process of the pool died (${how})${during}; the pool is broken`,
      ),
    );
  }

  #breakPool(error: BrokenProcessPool): void {
    this.#broken ??= error;
    const tasks = [...this.#busy.values(), ...this.#queue.drain()];
    for (const task of tasks) task.future.setException(this.#broken);
    for (const child of [...this.#idle.splice(0), ...this.#busy.keys()]) {
      child.kill();
    }
    this.#busy.clear();
  }
}

/**
 * `--allow-*` for each permission this process has whole, and no other; and
 * when it may read only some paths, the folders of `modules` among them, for
 * the child to load its code.
 */
function permissionFlags(modules: string[]): string[] {
  const granted = (descriptor: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(descriptor).state === "granted";
  const flags = PERMISSIONS.filter((name) => granted({ name }))
    .map((name) => `--allow-${name}`);
  if (flags.includes("--allow-read")) return flags;
  const folders = modules.map((module) => new URL(".", module))
    .filter((folder) => folder.protocol === "file:")
    .map((folder) => decodeURIComponent(folder.pathname))
    .filter((path) => granted({ name: "read", path }));
  if (folders.length) flags.push(`--allow-read=${folders.join(",")}`);
  return flags;
}

/** Whether `child` (and its IPC channel) keeps this process alive. */
function setRef(child: ChildProcess, ref: boolean): void {
  const channel = child.channel as { ref?(): void; unref?(): void } | undefined;
  if (ref) {
    child.ref();
    channel?.ref?.();
  } else {
    child.unref();
    channel?.unref?.();
  }
}
