/**
 * The peak memory of a child process: read from `/usr/bin/time -f %M` (the
 * child's ru_maxrss) when it is there, else by polling the kernel's
 * high-water mark in `/proc/PID/status`.
 *
 * @module
 */

const TIME = "/usr/bin/time";

/** How the peak memory of a child is read. */
export type MemoryMethod = "time" | "proc";

/** A finished child: its exit status, output and peak memory. */
export interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident memory, KiB. */
  memoryKiB: number;
}

/** `/usr/bin/time` when it is there (exact, nothing to poll), else polling `/proc`. */
export async function memoryMethod(): Promise<MemoryMethod> {
  const found = await Deno.stat(TIME).then((s) => s.isFile, () => false);
  return found ? "time" : "proc";
}

/** How the peak memory column was measured, for the notes above the table. */
export function describeMemory(method: MemoryMethod): string {
  const how = method === "time"
    ? "`/usr/bin/time -f %M` (the child's ru_maxrss)"
    : "VmHWM of `/proc/PID/status`, polled every 20 ms";
  return `peak RSS of the child process from ${how}; Workers are threads ` +
    "of that process, so they are included";
}

/** Runs `cmd` in `cwd`, measuring its peak memory with `method`. */
export async function runMeasured(
  cmd: string[],
  cwd: string,
  method: MemoryMethod,
): Promise<Measured> {
  return method === "time"
    ? await runUnderTime(cmd, cwd)
    : await runPolling(cmd, cwd);
}

/** Runs `cmd` under `/usr/bin/time -f %M`, which reports ru_maxrss in KiB. */
async function runUnderTime(cmd: string[], cwd: string): Promise<Measured> {
  const memFile = await Deno.makeTempFile({ prefix: "bench-rss-" });
  try {
    const out = await new Deno.Command(TIME, {
      args: ["-f", "%M", "-o", memFile, ...cmd],
      cwd,
      stdin: "null",
    }).output();
    // On a failure, time writes "Command exited with ..." before the number.
    const text = (await Deno.readTextFile(memFile)).trim();
    return {
      code: out.code,
      stdout: decode(out.stdout),
      stderr: decode(out.stderr),
      memoryKiB: Number(text.split("\n").at(-1)),
    };
  } finally {
    await Deno.remove(memFile);
  }
}

/** Runs `cmd`, polling the kernel's high-water mark of its resident memory. */
async function runPolling(cmd: string[], cwd: string): Promise<Measured> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // VmHWM only grows, so the last poll before the exit is the peak.
  let memoryKiB = 0;
  const poll = () => memoryKiB = Math.max(memoryKiB, readHwm(child.pid));
  const timer = setInterval(poll, 20);
  poll();
  try {
    const out = await child.output();
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

/** UTF-8 bytes to text. */
export function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
