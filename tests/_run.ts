/**
 * Helpers of the end-to-end tests: run a flags2 script as a subprocess from
 * a fresh temporary directory, parse its report, and compare its downloads
 * with flags.zip.
 *
 * @module
 */

import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import type { Report } from "../tools/report.ts";

/** The three download scripts, by their file names. */
export const SCRIPTS = {
  sequential: "flags2_sequential.ts",
  asyncio: "flags2_asyncio.ts",
  threadpool: "flags2_threadpool.ts",
} as const;

/** The name of one of the three scripts. */
export type ScriptName = keyof typeof SCRIPTS;

/** The names of the three scripts, in the book's order. */
export const SCRIPT_NAMES = Object.keys(SCRIPTS) as ScriptName[];

/** The absolute path of `script`, wherever the tests are run from. */
export function scriptPath(script: ScriptName): string {
  return new URL(`../${SCRIPTS[script]}`, import.meta.url).pathname;
}

/** A temporary directory, removed with everything in it on dispose. */
export interface TempDir extends AsyncDisposable {
  /** Its absolute path. */
  readonly path: string;
}

/** Makes a temporary directory; `await using dir = await tempDir()` removes it. */
export async function tempDir(): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix: "flags2_test_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** What a finished script left behind. */
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

/** The command that runs `script` with `args` from `cwd`: stdin null, outputs piped. */
export function scriptCommand(
  script: ScriptName,
  args: string[],
  cwd: string,
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", scriptPath(script), ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** Runs `script` with `args` from `cwd` to the end; returns its status and outputs. */
export async function runScript(
  script: ScriptName,
  args: string[],
  cwd: string,
): Promise<RunResult> {
  const { code, signal, stdout, stderr } = await scriptCommand(
    script,
    args,
    cwd,
  ).output();
  const decoder = new TextDecoder();
  return {
    code,
    signal,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** ok + not found + errors. */
export function total(report: Report): number {
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
    const zip = await Deno.readFile(new URL("../flags.zip", import.meta.url));
    const files = unzipSync(zip, {
      filter: (file) => /^flags\/[a-z]{2}\/[a-z]{2}\.gif$/.test(file.name),
    });
    zipFlags = new Map(
      Object.entries(files).map(([name, data]) => [name.split("/")[2], data]),
    );
  }
  return zipFlags;
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

/** Asserts that `cwd/downloads` holds only `xx.gif` files, each byte for byte its flags.zip entry; returns their names. */
export async function assertGoodDownloads(cwd: string): Promise<string[]> {
  const gifs = await zipGifs();
  const names = await listDir(`${cwd}/downloads`);
  for (const name of names) {
    assert.match(name, /^[a-z]{2}\.gif$/, `unexpected file ${name}`);
    const expected = gifs.get(name);
    assert.ok(expected, `${name} is not in flags.zip`);
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
