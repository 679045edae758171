/**
 * `ProcessPoolExecutor` on `deno` subprocesses, as Python's
 * `concurrent/futures/process.py`: how a child starts, is sent a call, and
 * stops; the rest is the core's (`pool.ts`). Each child is a `deno run` of
 * `process_child.ts` with the parent's permissions; calls and results cross
 * an IPC channel with structured-clone semantics (`node:child_process`'s
 * "advanced" serialization), and the children's own output goes straight to
 * the terminal.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BrokenExecutor } from "./base.ts";
import type { FromWorker, ToWorker } from "./call.ts";
import {
  type PoolOptions,
  type WorkerEvents,
  type WorkerLink,
  WorkerPool,
} from "./pool.ts";

const CHILD_URL = new URL("./process_child.ts", import.meta.url).href;
/** How long a child told to stop may take to see its channel close, before a SIGTERM. */
const STOP_GRACE_MS = 1000;
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
  static {
    this.prototype.name = "BrokenProcessPool";
  }
}

/** The options of a process pool: those of both pools, and Python's `max_tasks_per_child`. */
export interface ProcessPoolOptions extends PoolOptions {
  /** The most calls a child runs; then it exits and a new one takes its place. */
  maxTasksPerChild?: number;
}

/**
 * Runs functions exported by one module, at most `maxWorkers` calls at
 * once, on as few `deno` child processes as keep them going, as Python's
 * `ProcessPoolExecutor`. A child carries many calls while they await, and
 * serves call after call until `shutdown`. Starting children
 * needs `--allow-run` and `--allow-env`; each child gets the permissions
 * this process has whole.
 *
 * @example Results in submission order
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessPoolExecutor } from "../futures.ts";
 * import { sleep } from "./example_tasks.ts";
 *
 * const tasks = import.meta.resolve("./example_tasks.ts");
 * await using executor = new ProcessPoolExecutor(2, tasks);
 * const results = [];
 * for await (const ms of executor.map(sleep, [20, 10])) results.push(ms);
 * assert.deepEqual(results, [20, 10]);
 * ```
 */
export class ProcessPoolExecutor extends WorkerPool {
  /** A child that dies breaks the pool, as in Python. */
  protected readonly deathBreaksPool = true;
  /** None: an idle child does not keep the program alive. */
  protected readonly idleMs: number | undefined = undefined;
  /** `node:child_process`'s, loaded by the constructor: Workers and children that import this module need not. */
  readonly #spawn: Promise<typeof import("node:child_process").spawn>;

  /**
   * A pool that runs the exports of `module` in child processes.
   *
   * @param maxWorkers the most calls at once, and so children; by default,
   * as in Python, the number of CPUs.
   * @param module the URL of the module whose exported functions it runs.
   * @param options `initializer` (exported by `module`) and `initargs`,
   * run once in each child before its first call; `maxTasksPerChild`;
   * `errorClasses`.
   * @throws {RangeError} if `maxWorkers` or `maxTasksPerChild` is less than 1.
   */
  constructor(
    maxWorkers: number | undefined,
    module: string | URL,
    { maxTasksPerChild, ...options }: ProcessPoolOptions = {},
  ) {
    if (maxTasksPerChild !== undefined && !(maxTasksPerChild >= 1)) {
      throw new RangeError("maxTasksPerChild must be >= 1");
    }
    super(
      maxWorkers ?? navigator.hardwareConcurrency,
      module,
      options,
      maxTasksPerChild,
    );
    this.#spawn = import("node:child_process").then((m) => m.spawn);
  }

  /**
   * Ends every child with SIGTERM, as Python 3.14's `terminate_workers`:
   * the pool shuts down, queued calls are cancelled, and the calls under
   * way fail with `BrokenProcessPool`.
   *
   * @returns a promise that settles once every child has exited.
   */
  terminateWorkers(): Promise<void> {
    return this.endWorkers("SIGTERM", "terminateWorkers() was called");
  }

  /**
   * Ends every child with SIGKILL, as Python 3.14's `kill_workers`; else as
   * `terminateWorkers`.
   *
   * @returns a promise that settles once every child has exited.
   */
  killWorkers(): Promise<void> {
    return this.endWorkers("SIGKILL", "killWorkers() was called");
  }

  /**
   * A `deno run` of `process_child.ts`, with the messages sent before it
   * started kept for it.
   *
   * @ignore
   */
  protected startWorker({ message, died }: WorkerEvents): WorkerLink {
    const exited = Promise.withResolvers<void>();
    const waiting: ToWorker[] = [];
    let child: ChildProcess | undefined;
    let alive = false;
    let lastBeat = -Infinity;
    const send = (data: ToWorker) => {
      // The channel sends what it cannot clone as garbage: try first.
      structuredClone(data);
      if (child?.pid !== undefined) child.send(data);
      else waiting.push(data); // until it has started, or failed to
    };
    let stopped = false;
    void this.#spawn.then((spawn) => {
      if (stopped) return exited.resolve();
      child = spawnChild(spawn, this.module);
      child.on("error", (exc) => { // no --allow-run, say
        died(`cannot start a child process: ${exc.message}`);
        exited.resolve();
      });
      child.on("exit", (code, signal) => {
        died(
          `a child process of the pool died (${
            signal ?? `exit status ${code}`
          })`,
        );
        exited.resolve();
      });
      child.on("message", (data: FromWorker) => {
        if ("beat" in data) lastBeat = data.beat - performance.timeOrigin;
        else message(data);
      });
      if (child.pid === undefined) return;
      for (const data of waiting.splice(0)) child.send(data);
      setRef(child, alive);
    });
    const end = (how: (child: ChildProcess) => void) => {
      stopped = true;
      if (!child || child.pid === undefined) return;
      setRef(child, true); // until it has exited
      how(child);
    };
    return {
      send,
      lastBeat: () => lastBeat,
      keepAlive: (on) => {
        alive = on;
        if (child?.pid !== undefined && !stopped) setRef(child, on);
      },
      stop: () =>
        end((child) => {
          child.disconnect();
          // A child sometimes misses the end of its channel: it carries no
          // call, so SIGTERM loses nothing.
          Deno.unrefTimer(setTimeout(() => child.kill(), STOP_GRACE_MS));
        }),
      kill: (signal) => end((child) => child.kill(signal)),
      exited: exited.promise,
    };
  }

  /** A `BrokenProcessPool`. */
  protected brokenError(
    message: string,
    options?: ErrorOptions,
  ): BrokenProcessPool {
    return new BrokenProcessPool(message, options);
  }
}

/** The children alive, which end when this process does (see `spawnChild`). */
const children = new Set<ChildProcess>();

/**
 * Spawns a child that serves `module`, with this process's permissions. A
 * child ends when its parent does: on its own when its channel closes, and
 * at the parent's `Deno.exit` or end by a SIGTERM, for a child whose call
 * never lets it see its channel close (a call that loops forever).
 */
function spawnChild(
  spawn: typeof import("node:child_process").spawn,
  module: string,
): ChildProcess {
  if (!children.size) addEventListener("unload", endChildren);
  const child = spawn(
    Deno.execPath(),
    [
      "run",
      "--no-prompt",
      ...permissionFlags([module, import.meta.url]),
      CHILD_URL,
      module,
    ],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    },
  );
  children.add(child);
  child.once("exit", () => {
    children.delete(child);
    if (!children.size) removeEventListener("unload", endChildren);
  });
  return child;
}

function endChildren(): void {
  for (const child of children) child.kill("SIGTERM");
}

/**
 * `--allow-*` for each permission this process has whole, and no other;
 * when it may read only some paths, the widest readable folders above
 * `modules`, for the child to load its code: a module in a subfolder
 * (`crypto/`) imports from the folders above it; and when it may import
 * from some hosts only, those of `modules` that it may import from.
 */
function permissionFlags(modules: string[]): string[] {
  const flags = PERMISSIONS.filter((name) => granted({ name }))
    .map((name) => `--allow-${name}`);
  const urls = modules.map((module) => new URL(module));
  if (!flags.includes("--allow-read")) {
    const folders = urls.filter((url) => url.protocol === "file:")
      .map((url) => new URL(".", url))
      .filter((folder) => granted({ name: "read", path: folder }))
      .map(widestReadable);
    if (folders.length) flags.push(`--allow-read=${folders.join(",")}`);
  }
  if (!flags.includes("--allow-import")) {
    const hosts = urls.filter((url) => /^https?:$/.test(url.protocol))
      .map((url) => url.host)
      .filter((host) => granted({ name: "import", host }));
    if (hosts.length) flags.push(`--allow-import=${[...new Set(hosts)]}`);
  }
  return flags;
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** The path of the highest folder above `folder`, itself included, that this process may read. */
function widestReadable(folder: URL): string {
  let up = new URL("../", folder);
  while (up.href !== folder.href && granted({ name: "read", path: up })) {
    [folder, up] = [up, new URL("../", up)];
  }
  return fileURLToPath(folder);
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
