/**
 * The files the flags2 scripts write: `downloads/` and the trace, checked
 * before any download, and each flag written whole or not at all, so that
 * not even Ctrl-C, which ends the process while Workers write, leaves half
 * a flag.
 *
 * @module
 */

/**
 * Makes the folder `path` if it is missing and checks that files can be
 * saved in it as `writeFileWhole` saves them: written (`mkdir` alone
 * succeeds on a read-only folder), then renamed, for which Deno needs read
 * access too. That access is asked for once, for the whole folder, where
 * Deno may ask (in a terminal, without `--no-prompt`).
 *
 * @param path the folder
 * @throws {Deno.errors.NotCapable} without write or read access to `path`,
 * naming the flag to run again with (`--allow-read=downloads`)
 * @throws {Deno.errors.AlreadyExists} and other `Deno.errors` when it cannot
 * be made or written
 */
export async function makeWritableDir(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
  await Deno.remove(await Deno.makeTempFile({ dir: path }));
  const read = { name: "read", path } as const;
  if (Deno.permissions.requestSync(read).state !== "granted") {
    const folder = path.replace(/(.)\/+$/, "$1");
    throw new Deno.errors.NotCapable(
      `a file is written aside, then renamed into place, which requires ` +
        `read access, run again with the --allow-read=${folder} flag`,
    );
  }
}

/**
 * Writes `data` to `path` blocking, aside first, then renamed: a reader
 * sees the whole file or none.
 *
 * @param path where the file goes; its folder must exist
 * @param data the bytes
 * @throws {Deno.errors.NotFound} and other `Deno.errors` when it cannot be
 * written, of the same class as the system's error, with a message that
 * names `path` (`Cannot write to downloads/zw.gif: Permission denied (os
 * error 13)`), not the temporary file; nothing is left behind then
 */
export function writeFileWhole(path: string, data: Uint8Array): void {
  const part = partPath(path);
  try {
    Deno.writeFileSync(part, data, { createNew: true });
    Deno.renameSync(part, path);
  } catch (exc) {
    try {
      Deno.removeSync(part);
    } catch { /* never created */ }
    throw writeError(exc, part, path);
  }
}

/**
 * Writes `data` to `path` as `writeFileWhole` does, without blocking: Deno
 * runs its asynchronous file calls on the runtime's blocking thread pool,
 * off the event loop.
 *
 * @param path where the file goes; its folder must exist
 * @param data the bytes
 * @returns when the file is in place
 * @throws {Deno.errors.NotFound} and other `Deno.errors` when it cannot be
 * written, named as `writeFileWhole` names them; nothing is left behind then
 */
export async function writeFileWholeAsync(
  path: string,
  data: Uint8Array,
): Promise<void> {
  const part = partPath(path);
  try {
    await Deno.writeFile(part, data, { createNew: true });
    await Deno.rename(part, path);
  } catch (exc) {
    await Deno.remove(part).catch(() => {}); // never created
    throw writeError(exc, part, path);
  }
}

/**
 * `exc`, thrown while writing `part` for `path`, again as an error of its
 * class that names `path`: Deno's "Permission denied (os error 13): open
 * '{part}'" gives its reason only, "Requires write access to {part}..."
 * names `path` instead.
 */
function writeError(exc: unknown, part: string, path: string): unknown {
  if (!(exc instanceof Error)) return exc;
  const reason = exc.message.replaceAll(part, path).split(": ")[0];
  const Class = exc.constructor as ErrorConstructor;
  return new Class(`Cannot write to ${path}: ${reason}`, { cause: exc });
}

/** A hidden, unique name beside `path` to write it under first. */
function partPath(path: string): string {
  const slash = path.lastIndexOf("/") + 1;
  return `${path.slice(0, slash)}.${path.slice(slash)}.` +
    `${crypto.randomUUID()}.part`;
}

/**
 * Runs `prepare(path)`; if it throws, prints `*** Cannot write to {path}:
 * {message}` on standard error, one line with no stack trace, and exits
 * with status 1.
 *
 * @param prepare makes `path` ready to be written
 * @param path a file or a folder
 */
export async function writableOrExit(
  prepare: (path: string) => unknown,
  path: string,
): Promise<void> {
  try {
    await prepare(path);
  } catch (exc) {
    const message = exc instanceof Error ? exc.message : String(exc);
    console.error(`*** Cannot write to ${path}: ${message}`);
    Deno.exit(1);
  }
}
