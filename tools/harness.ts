/**
 * What the tests and the bench share: the path of a script or of any file of
 * the repository, a temporary folder, a `deno run` subprocess, a test server
 * on a free loopback port, the gifs of flags.zip, the processes a process
 * started.
 *
 * @module
 */

import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import type { ServerOptions } from "../slow_server.ts";

/** The download scripts with the flags2 command line, by their file names. */
export const SCRIPTS = {
  sequential: "flags2_sequential.ts",
  asyncio: "flags2_asyncio.ts",
  threadpool: "flags2_threadpool.ts",
  asyncio_executor: "flags2_asyncio_executor.ts",
  flags3_threadpool: "flags3_threadpool.ts",
  flags3_asyncio: "flags3_asyncio.ts",
} as const;

/** The name of one of the scripts. */
export type ScriptName = keyof typeof SCRIPTS;

/** The names of the scripts, in the book's order. */
export const SCRIPT_NAMES = Object.keys(SCRIPTS) as ScriptName[];

/** The scripts that also get `metadata.json` and save `Brazil-BR.gif`. */
export const FLAGS3: ReadonlySet<ScriptName> = new Set([
  "flags3_threadpool",
  "flags3_asyncio",
]);

/** `startServer` options of a quiet server on a free port of 127.0.0.1. */
export const LOCALHOST = {
  port: 0,
  hostname: "127.0.0.1",
  quiet: true,
} as const satisfies ServerOptions;

/**
 * The absolute path of a file of the repository, wherever the code runs from.
 *
 * @param relative its path from the repository's root, e.g. "bench/main.ts"
 * @returns its absolute path
 */
export function repoPath(relative: string): string {
  return decodeURIComponent(
    new URL(`../${relative}`, import.meta.url).pathname,
  );
}

/** The absolute path of `script`, wherever the tests are run from. */
export function scriptPath(script: ScriptName): string {
  return repoPath(SCRIPTS[script]);
}

/** A temporary directory, removed with everything in it on dispose. */
export interface TempDir extends AsyncDisposable {
  /** Its absolute path. */
  readonly path: string;
}

/**
 * Makes a temporary directory; `await using dir = await tempDir()` removes it.
 *
 * @param options its name's prefix, and the folder it goes in (the system's
 *   temporary folder by default)
 * @returns the directory, to dispose of
 */
export async function tempDir(
  { prefix = "flags2_test_", dir }: { prefix?: string; dir?: string } = {},
): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix, dir });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** Whether `path` is a folder. */
export function isFolder(path: string): Promise<boolean> {
  return Deno.stat(path).then((s) => s.isDirectory, () => false);
}

/** Whether `path` is a file. */
export function isFile(path: string): Promise<boolean> {
  return Deno.stat(path).then((s) => s.isFile, () => false);
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
 * The command `deno run -A file ...args`, run from `cwd`: stdin null,
 * outputs piped, no colours.
 *
 * @param file the path of the module to run
 * @param args its arguments
 * @param cwd the folder it runs from
 * @param signal aborting it sends the process SIGTERM
 * @returns the command, to spawn or to run to the end
 */
export function denoCommand(
  file: string,
  args: string[],
  cwd: string,
  signal?: AbortSignal,
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", file, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal,
  });
}

/**
 * Runs `deno run -A file ...args` from `cwd` to the end.
 *
 * @param file the path of the module to run
 * @param args its arguments
 * @param cwd the folder it runs from
 * @param signal aborting it sends the process SIGTERM
 * @returns its exit status, signal and outputs
 */
export async function runDeno(
  file: string,
  args: string[],
  cwd: string,
  signal?: AbortSignal,
): Promise<RunResult> {
  const out = await denoCommand(file, args, cwd, signal).output();
  return {
    code: out.code,
    signal: out.signal,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

/** The command that runs `script` with `args` from `cwd`: stdin null, outputs piped. */
export function scriptCommand(
  script: ScriptName,
  args: string[],
  cwd: string,
): Deno.Command {
  return denoCommand(scriptPath(script), args, cwd);
}

/** Runs `script` with `args` from `cwd` to the end; returns its status and outputs. */
export function runScript(
  script: ScriptName,
  args: string[],
  cwd: string,
  signal?: AbortSignal,
): Promise<RunResult> {
  return runDeno(scriptPath(script), args, cwd, signal);
}

/** UTF-8 bytes to text. */
export function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** ok + not found + errors, of a `Report`. */
export function total(
  report: { ok: number; notFound: number; errors: number },
): number {
  return report.ok + report.notFound + report.errors;
}

/** The lines of `text`, without the empty one after the last newline. */
export function lines(text: string): string[] {
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all;
}

let zipFlags: Map<string, Uint8Array> | undefined;

/** The gifs of flags.zip, keyed by file name ("br.gif"), unzipped once. */
export async function zipGifs(): Promise<Map<string, Uint8Array>> {
  if (!zipFlags) {
    const zip = await Deno.readFile(repoPath("flags.zip"));
    const files = unzipSync(zip, {
      filter: (file) => /^flags\/[a-z]{2}\/[a-z]{2}\.gif$/.test(file.name),
    });
    zipFlags = new Map(
      Object.entries(files).map(([name, data]) => [name.split("/")[2], data]),
    );
  }
  return zipFlags;
}

let zipCountries: Map<string, string> | undefined;

/**
 * The file name under which `script` saves the flag of `cc`.
 *
 * @param script one of the scripts
 * @param cc a code of flags.zip, in capitals
 * @returns `br.gif`, or for the flags3 scripts the country's name from
 *   flags.zip's metadata.json, `Brazil-BR.gif`
 */
export async function savedName(
  script: ScriptName,
  cc: string,
): Promise<string> {
  if (!FLAGS3.has(script)) return `${cc.toLowerCase()}.gif`;
  if (!zipCountries) {
    const zip = await Deno.readFile(repoPath("flags.zip"));
    const files = unzipSync(zip, {
      filter: (file) => file.name.endsWith("/metadata.json"),
    });
    zipCountries = new Map(
      Object.values(files).map((data) => {
        const { iso_cc, country } = JSON.parse(decode(data));
        return [iso_cc, country.replaceAll(" ", "_")];
      }),
    );
  }
  return `${zipCountries.get(cc)}-${cc}.gif`;
}

/**
 * The flags of flags.zip as `script` saves them.
 *
 * @param script one of the scripts
 * @returns the bytes of each flag, keyed by `savedName`
 */
export async function savedFlags(
  script: ScriptName,
): Promise<Map<string, Uint8Array>> {
  const flags = new Map<string, Uint8Array>();
  for (const [name, data] of await zipGifs()) {
    flags.set(await savedName(script, name.slice(0, 2).toUpperCase()), data);
  }
  return flags;
}

/** The names of the entries of `dir`, sorted; none if it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  const names = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (exc) {
    if (!(exc instanceof Deno.errors.NotFound)) throw exc;
  }
  return names.sort();
}

/**
 * Asserts that `cwd/downloads` holds only flags named as `script` names
 * them, each byte for byte its flags.zip entry.
 *
 * @param cwd the folder the script ran from
 * @param script `xx.gif` for all but the flags3 scripts (the default, also
 *   for flags.ts and its kin)
 * @returns the files' names, sorted
 */
export async function assertGoodDownloads(
  cwd: string,
  script: ScriptName = "sequential",
): Promise<string[]> {
  const flags = await savedFlags(script);
  const names = await listDir(`${cwd}/downloads`);
  for (const name of names) {
    const expected = flags.get(name);
    assert.ok(expected, `unexpected file ${name}`);
    const actual = await Deno.readFile(`${cwd}/downloads/${name}`);
    assert.ok(
      actual.length === expected.length &&
        actual.every((byte, i) => byte === expected[i]),
      `${name} differs from flags.zip`,
    );
  }
  return names;
}

/** A port on 127.0.0.1 where nothing listens (it did a moment ago). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** `Promise.all` that waits for every promise to settle (no run left behind), then rethrows the first failure. */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
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
