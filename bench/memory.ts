/**
 * The peak memory of a child process: read from `/usr/bin/time -f %M` (the
 * child's ru_maxrss) when it is there, else by polling the kernel's
 * high-water mark in `/proc/PID/status`.
 *
 * @module
 */

import { decode, isFile, killTree } from "../tools/harness.ts";

const TIME = "/usr/bin/time";

/** How the peak memory of a child is read. */
export type MemoryMethod = "time" | "proc";

/** A finished child: its exit status, output and peak memory. */
export interface Measured {
  /** Its exit status. */
  code: number;
  /** Its standard output, decoded. */
  stdout: string;
  /** Its standard error, decoded. */
  stderr: string;
  /** Peak resident memory, KiB. */
  memoryKiB: number;
}

/** `/usr/bin/time` when it is there (exact, nothing to poll), else polling `/proc`. */
export async function memoryMethod(): Promise<MemoryMethod> {
  return await isFile(TIME) ? "time" : "proc";
}

/** How the peak memory column was measured, for the notes above the table. */
export function describeMemory(method: MemoryMethod): string {
  const how = method === "time"
    ? "`/usr/bin/time -f %M` (the child's ru_maxrss)"
    : "VmHWM of `/proc/PID/status`, polled every 20 ms";
  return `peak RSS of the child process from ${how}; Workers are threads ` +
    "of that process, so they are included";
}

/**
 * Runs `cmd` in `cwd`, measuring its peak memory with `method`.
 *
 * @param cmd the program and its arguments
 * @param cwd the folder it runs from; `/usr/bin/time` writes its number
 *   beside it, in `CWD.rss`
 * @param method how the peak memory is read
 * @param signal aborting it kills the child and every process it started
 * @returns the child's status, outputs and peak memory
 * @throws the reason of `signal` when it was aborted
 */
export async function runMeasured(
  cmd: string[],
  cwd: string,
  method: MemoryMethod,
  signal: AbortSignal,
): Promise<Measured> {
  return method === "time"
    ? await runUnderTime(cmd, cwd, signal)
    : await runPolling(cmd, cwd, signal);
}

/** Runs `cmd` from `cwd`, outputs piped, telling `started` its pid; `signal` kills it and all it started. */
async function spawn(
  cmd: string[],
  cwd: string,
  signal: AbortSignal,
  started?: (pid: number) => void,
): Promise<Deno.CommandOutput> {
  signal.throwIfAborted();
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  started?.(child.pid);
  const kill = () => killTree(child.pid);
  signal.addEventListener("abort", kill);
  try {
    return await child.output();
  } finally {
    signal.removeEventListener("abort", kill);
    signal.throwIfAborted();
  }
}

/** Runs `cmd` under `/usr/bin/time -f %M`, which reports ru_maxrss in KiB. */
async function runUnderTime(
  cmd: string[],
  cwd: string,
  signal: AbortSignal,
): Promise<Measured> {
  const memFile = `${cwd}.rss`;
  try {
    const out = await spawn(
      [TIME, "-f", "%M", "-o", memFile, ...cmd],
      cwd,
      signal,
    );
    // On a failure, time writes "Command exited with ..." before the number.
    const text = (await Deno.readTextFile(memFile)).trim();
    return {
      code: out.code,
      stdout: decode(out.stdout),
      stderr: decode(out.stderr),
      memoryKiB: Number(text.split("\n").at(-1)),
    };
  } finally {
    await Deno.remove(memFile).catch(() => {});
  }
}

/** Runs `cmd`, polling the kernel's high-water mark of its resident memory. */
async function runPolling(
  cmd: string[],
  cwd: string,
  signal: AbortSignal,
): Promise<Measured> {
  // VmHWM only grows, so the last poll before the exit is the peak.
  let pid = 0;
  let memoryKiB = 0;
  const poll = () => memoryKiB = Math.max(memoryKiB, readHwm(pid));
  const timer = setInterval(poll, 20);
  try {
    const out = await spawn(cmd, cwd, signal, (child) => {
      pid = child;
      poll();
    });
    return {
      code: out.code,
      stdout: decode(out.stdout),
      stderr: decode(out.stderr),
      memoryKiB,
    };
  } finally {
    clearInterval(timer);
  }
}

/** VmHWM of a process in KiB, or 0 once it is gone. */
function readHwm(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}
