/**
 * What only the tests use: a test server on a free loopback port, a script
 * a test writes run from a folder of its own, a run told for an assertion's
 * message, the gifs of flags.zip and assertions on them. The tests import
 * from here also what they share with the bench, from `files.ts` (paths,
 * temporary folders) and `process.ts` (`deno` subprocesses).
 *
 * @module
 */

import assert from "node:assert/strict";
import { unzipSync } from "npm:fflate@0.8.3";
import type { ServerOptions } from "../slow_server.ts";
import {
  listDir,
  repoPath,
  type ScriptName,
  scriptPath,
  tempDir,
} from "./files.ts";
import { decode, denoCommand, runDeno, type RunResult } from "./process.ts";

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
  cpuHog,
  decode,
  denoCommand,
  descendants,
  killTree,
  procStat,
  runDeno,
  type RunResult,
} from "./process.ts";

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

/**
 * Runs TypeScript `source` as `main.ts` of a temporary folder, from there, to
 * the end; the folder goes afterwards.
 *
 * @param source the script
 * @param permissions flags after `deno run`: permissions, `--config`...
 * @returns its exit status, signal and outputs
 */
export async function runSource(
  source: string,
  permissions: string[] = [],
): Promise<RunResult> {
  await using dir = await tempDir({ prefix: "flags2_source_" });
  await Deno.writeTextFile(`${dir.path}/main.ts`, source);
  return await runDeno(`${dir.path}/main.ts`, [], dir.path, { permissions });
}

/**
 * A run, for an assertion's message.
 *
 * @param what what ran: a script's name, its arguments
 * @param result how it ended
 * @returns its exit status and outputs, one under the other
 */
export function describe(what: string, result: RunResult): string {
  return `${what}: exit ${result.code}\n--- stdout\n${result.stdout}` +
    `--- stderr\n${result.stderr}`;
}

/**
 * The README's least permissions of a download script run from a folder of
 * one's own: the scripts' folder is read too. Write to downloads/ comes last,
 * for a test to replace it.
 */
export const LEAST_PERMISSIONS: readonly string[] = [
  "--allow-net=localhost",
  `--allow-read=${repoPath("")},downloads`,
  "--allow-write=downloads",
];

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

/** Deno's lines on standard error as it fetches a module or a package. */
const DOWNLOAD_LINE = /^Download /;

/** The lines of a standard error, without Deno's `Download` lines. */
export function ownLines(stderr: string): string[] {
  return lines(stderr).filter((line) => !DOWNLOAD_LINE.test(line));
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

/**
 * `Promise.all` that waits for every promise to settle (no run left
 * behind), then rethrows a failure; when several failed, an
 * `AggregateError` of them all, whose message has the first line of each,
 * as a table of runs needs.
 */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const reasons = results.flatMap((r) =>
    r.status === "rejected" ? [r.reason] : []
  );
  if (reasons.length === 1) throw reasons[0];
  if (reasons.length > 1) {
    const told = reasons.map((reason) =>
      (reason instanceof Error ? reason.message : String(reason)).split("\n")[0]
    );
    throw new AggregateError(
      reasons,
      `${reasons.length} failed:\n${told.join("\n")}`,
    );
  }
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
