/**
 * What only the tests use: a test server on a free loopback port, a script
 * run to the end, the gifs of flags.zip and assertions on them. The tests
 * import from here also what they share with the bench, from `files.ts`
 * (paths, temporary folders) and `process.ts` (`deno` subprocesses).
 *
 * @module
 */

import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import type { ServerOptions } from "../slow_server.ts";
import { listDir, repoPath, type ScriptName, scriptPath } from "./files.ts";
import { denoCommand, runDeno, type RunResult } from "./process.ts";

export {
  isFile,
  isFolder,
  listDir,
  repoPath,
  SCRIPT_NAMES,
  type ScriptName,
  scriptPath,
  SCRIPTS,
  type TempDir,
  tempDir,
} from "./files.ts";
export {
  decode,
  denoCommand,
  descendants,
  killTree,
  procStat,
  runDeno,
  type RunResult,
} from "./process.ts";

/** `startServer` options of a quiet server on a free port of 127.0.0.1. */
export const LOCALHOST = {
  port: 0,
  hostname: "127.0.0.1",
  quiet: true,
} as const satisfies ServerOptions;

/** The command that runs `script` with `args` from `cwd`: stdin null, outputs piped. */
export function scriptCommand(
  script: ScriptName,
  args: string[],
  cwd: string,
): Deno.Command {
  return denoCommand(["run", scriptPath(script), ...args], {
    permissions: ["-A"],
    cwd,
  });
}

/** Runs `script` with `args` from `cwd` to the end; returns its status and outputs. */
export function runScript(
  script: ScriptName,
  args: string[],
  cwd: string,
): Promise<RunResult> {
  return runDeno(scriptPath(script), args, cwd);
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
