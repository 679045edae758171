/**
 * Subprocesses, for the tests and the bench: `deno` with the permissions
 * asked for, and the processes a process started, to kill them all.
 *
 * @module
 */

/** How `denoCommand` runs: `Deno.CommandOptions`, and the flags after the subcommand. */
export interface DenoOptions extends Omit<Deno.CommandOptions, "args"> {
  /** Flags right after the subcommand: permissions, `--config`...; none by default. */
  permissions?: readonly string[];
}

/**
 * The command line of `deno` for `args` (a subcommand and its operands) run
 * with `permissions`, program first: for a command line built further by
 * hand, as the bench's `/usr/bin/time deno ...`.
 *
 * @param args the subcommand, then the rest: `["run", file, ...]`
 * @param permissions flags that go after the subcommand
 * @returns `[deno, subcommand, ...permissions, ...rest]`
 */
export function denoArgv(
  args: string[],
  permissions: readonly string[] = [],
): string[] {
  const [subcommand, ...rest] = args;
  return [Deno.execPath(), subcommand, ...permissions, ...rest];
}

/**
 * The command `deno ...args`, with `permissions` after the subcommand:
 * stdin null, outputs piped, no colours, unless `options` say otherwise.
 *
 * @example `deno eval`, its output piped
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoCommand } from "./process.ts";
 *
 * const out = await denoCommand(["eval", "console.log(1 + 1)"]).output();
 * assert.equal(out.code, 0);
 * assert.equal(new TextDecoder().decode(out.stdout), "2\n");
 * ```
 *
 * @param args the subcommand, then the rest: `["run", file, ...]`
 * @param options `permissions`, `env` (added to NO_COLOR=1), `signal`
 *   (aborting it sends SIGTERM), `cwd` and any other `Deno.CommandOptions`
 * @returns the command, to spawn or to run to the end
 */
export function denoCommand(
  args: string[],
  { permissions, env, ...options }: DenoOptions = {},
): Deno.Command {
  const [deno, ...argv] = denoArgv(args, permissions);
  return new Deno.Command(deno, {
    args: argv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...options,
    env: { NO_COLOR: "1", ...env },
  });
}

/** What a finished subprocess left behind. */
export interface RunResult {
  /** Its exit status. */
  code: number;
  /** The signal that killed it, or null if it exited by itself. */
  signal: Deno.Signal | null;
  /** Its standard output, decoded. */
  stdout: string;
  /** Its standard error, decoded. */
  stderr: string;
}

/**
 * Runs `deno run file ...args` from `cwd` to the end, never prompting for a
 * permission.
 *
 * @param file the path of the module to run
 * @param args its arguments
 * @param cwd the folder it runs from
 * @param options as `denoCommand`'s (`permissions`, `env`, `signal`...);
 *   `permissions` default to `-A`
 * @returns its exit status, signal and outputs
 */
export async function runDeno(
  file: string,
  args: string[],
  cwd: string,
  { permissions = ["-A"], ...options }: DenoOptions = {},
): Promise<RunResult> {
  const out = await denoCommand(["run", file, ...args], {
    ...options,
    permissions: ["--no-prompt", ...permissions],
    cwd,
  }).output();
  return {
    code: out.code,
    signal: out.signal,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

/** UTF-8 bytes to text. */
export function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** A process as `/proc/PID/stat` shows it. */
export interface ProcStat {
  /** Its parent's pid. */
  ppid: number;
  /** Its state: "R" running, "S" sleeping, "Z" zombie (exited, not reaped)... */
  state: string;
}

/**
 * A process's state and parent, from `/proc` (Linux).
 *
 * @param pid the process
 * @returns its state and parent, or undefined when there is no such process
 *   (or no `/proc`)
 */
export function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // "PID (NAME) STATE PPID ...": the name may hold spaces and parentheses.
  const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state, ppid: Number(ppid) };
}

/**
 * The processes `pid` started, and those they started, from `/proc` (Linux).
 *
 * @param pid the ancestor
 * @returns their pids, children before grandchildren; none without `/proc`
 */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const child = Number(entry.name);
      const ppid = Number.isInteger(child) && procStat(child)?.ppid;
      if (ppid) children.set(ppid, [...children.get(ppid) ?? [], child]);
    }
  } catch (exc) {
    if (exc instanceof Deno.errors.NotFound) return [];
    throw exc;
  }
  // Breadth first: `found` is its own queue.
  const found: number[] = [];
  for (let i = -1; i < found.length; i++) {
    found.push(...children.get(i < 0 ? pid : found[i]) ?? []);
  }
  return found;
}

/**
 * Kills `pid` and every process it started (SIGKILL): `/usr/bin/time`, for
 * one, does not pass a signal on to the command it runs.
 *
 * @param pid the process
 */
export function killTree(pid: number): void {
  for (const victim of [...descendants(pid).reverse(), pid]) {
    try {
      Deno.kill(victim, "SIGKILL");
    } catch (exc) {
      // It exited meanwhile.
      if (!(exc instanceof Deno.errors.NotFound)) throw exc;
    }
  }
}

/**
 * Keeps every core busy until disposed, for a test that must hold on a
 * loaded machine: a spinning `deno` process per core.
 *
 * @param cores how many processes; default the machine's cores
 * @returns `await using` kills them
 */
export function cpuHog(
  cores: number = navigator.hardwareConcurrency,
): AsyncDisposable {
  const hogs = Array.from(
    { length: cores },
    () =>
      denoCommand(["eval", "for (;;);"], { stdout: "null", stderr: "null" })
        .spawn(),
  );
  return {
    async [Symbol.asyncDispose]() {
      for (const hog of hogs) hog.kill("SIGKILL");
      await Promise.all(hogs.map((hog) => hog.status));
    },
  };
}
