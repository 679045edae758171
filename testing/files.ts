/**
 * Where things are, for the tests and the bench: a file of the repository
 * (a script's path wherever the code runs from), and temporary folders.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

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

/**
 * The absolute path of a file of the repository, wherever the code runs from.
 *
 * @param relative its path from the repository's root, e.g. "bench/main.ts"
 * @returns its absolute path
 */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
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
