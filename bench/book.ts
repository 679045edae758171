/**
 * `deno task bench --book DIR`: the book's own Python scripts, from a
 * checkout, measured beside ours: the flags2 scripts of DIR against the same
 * servers, on the ports the book's edition hardcodes; the CPU scripts beside
 * DIR in the modes they have. DIR is told by its files, whatever its name:
 * its `flags2_common.py` names the servers of one edition. A DIR that is not
 * such a folder, or no Python, stops the bench at once; a script missing
 * beside it is said in one line, and the bench goes on without it.
 *
 * @module
 */

import { basename, dirname } from "node:path";
import { type Edition, EDITION_PORTS } from "../slow_server.ts";
import { isFile, isFolder } from "../testing/files.ts";
import { type CpuScript, MODES, parseStatus, type Status } from "./cpu.ts";
import { failedRun, runFlags, versionOf, warn } from "./runs.ts";
import { type Baseline, serve } from "./scenarios.ts";

/** Each edition's flags folder: the folder its scripts save to, the folder of its CPU scripts beside it, those scripts and what reads their output. */
const EDITIONS = {
  1: {
    saveDir: "downloads",
    cpu: "crypto",
    cpuScripts: ["sha_futures.py", "arcfour_futures.py"],
    read: parseStatus,
  },
  2: {
    saveDir: "downloaded",
    cpu: "primes",
    cpuScripts: ["proc_pool.py"],
    read: parsePrimes,
  },
} as const;

/** Why `--book` cannot be run: the bench says it in one line and stops. */
export class BookError extends Error {
  static {
    this.prototype.name = "BookError";
  }
}

/**
 * The edition whose servers `flags2_common.py` names: its `SERVERS` give
 * LOCAL, DELAY and ERROR on the edition's ports (8001-8003 in the first,
 * 8000-8002 in the second).
 *
 * @param common the text of a `flags2_common.py`
 * @returns 1 or 2; undefined when it names neither edition's ports
 */
export function editionOf(common: string): Edition | undefined {
  const url = /['"](LOCAL|DELAY|ERROR)['"]:\s*['"]http:\/\/localhost:(\d+)\//g;
  const ports: Record<string, number> = Object.fromEntries(
    [...common.matchAll(url)].map(([, label, port]) => [label, Number(port)]),
  );
  return ([1, 2] as const).find((edition) =>
    Object.entries(EDITION_PORTS[edition]).every(([label, port]) =>
      ports[label] === port
    )
  );
}

/** What `--book` adds to the bench: the flags2 scripts, as baselines of ours; the CPU scripts; the lines of the table's notes. */
export type Book = { flags: Baseline[]; cpu: CpuScript[]; notes: string[] };

/** Reads `proc_pool.py`'s output: its workers line, and its last line. */
function parsePrimes(stdout: string): Status {
  const workers = /^Checking \d+ numbers with (\d+) processes:$/m.exec(stdout);
  const total = /^Total time: (\d+\.\d+)s$/m.exec(stdout.trimEnd());
  if (!workers || !total) return undefined;
  return { workers: Number(workers[1]), elapsed: Number(total[1]) };
}

/** A flags2 script of the book, `path`, that mirrors our script `id`. */
function flagsScript(
  id: string,
  path: string,
  edition: keyof typeof EDITIONS,
  python: string,
): Baseline {
  const { saveDir } = EDITIONS[edition];
  return {
    id: `book-${id}`,
    label: basename(path),
    ratio: { column: "× book", over: [id] },
    async run(scenario, ctx) {
      const port = EDITION_PORTS[edition][scenario.server];
      await using server = await serve(scenario, port).catch((exc) => {
        if (!(exc instanceof Deno.errors.AddrInUse)) throw exc;
        return undefined;
      });
      if (!server) return failedRun(`port ${port} is taken: try later`);
      await Deno.mkdir(`${ctx.cwd}/${saveDir}`);
      const cmd = [python, path, "-s", scenario.server, ...scenario.args];
      return await runFlags(cmd, ctx, server.peak, { saveDir });
    },
  };
}

/** The files of `names` in `dir`; a line for each that is missing. */
async function present(dir: string, names: readonly string[]) {
  const found = [];
  for (const path of names.map((name) => `${dir}/${name}`)) {
    if (await isFile(path)) found.push(path);
    else warn(`*** --book: no ${path}; its rows are left out.`);
  }
  return found;
}

/**
 * The book's scripts of `folder`, a folder of its flags2 scripts
 * (`17-futures/countries` or `20-executors/getflags` of a checkout, or a
 * copy under any name), run with `python`; none without a folder.
 *
 * @throws {BookError} when `folder` is missing, holds no `flags2_common.py`
 *   of either edition, or `python` is not found
 */
export async function loadBook(
  folder: string | undefined,
  python: string,
): Promise<Book> {
  if (folder === undefined) return { flags: [], cpu: [], notes: [] };
  let dir = folder.replace(/\/+$/, "");
  if (!(await isFolder(dir))) {
    throw new BookError(`--book ${dir}: no such folder`);
  }
  const common = `${dir}/flags2_common.py`;
  const text = await isFile(common) ? await Deno.readTextFile(common) : "";
  const edition = editionOf(text);
  if (!edition) {
    throw new BookError(
      `--book ${dir}: not a folder of the book's flags2 scripts, whose ` +
        "flags2_common.py names LOCAL at localhost:8001 (first edition) or " +
        ":8000 (second)",
    );
  }
  const version = await versionOf([python, "--version"]);
  if (!version) throw new BookError(`--python ${python}: not found`);
  // The scripts run from the runs' folders.
  dir = await Deno.realPath(dir);
  if (/^[^/].*\//.test(python)) python = `${Deno.cwd()}/${python}`;
  const { cpu, cpuScripts, read } = EDITIONS[edition];
  const flags: Baseline[] = [];
  for (const id of ["sequential", "threadpool", "asyncio"]) {
    const [path] = await present(dir, [`flags2_${id}.py`]);
    if (path) flags.push(flagsScript(id, path, edition, python));
  }
  const cpuDir = `${dirname(dir)}/${cpu}`;
  const ports = EDITION_PORTS[edition];
  return {
    flags,
    cpu: (await present(cpuDir, cpuScripts)).map((path) => ({
      label: basename(path),
      modes: ["1 process", "2 processes"],
      scaled: false,
      command: (mode) => [python, path, ...MODES[mode].args],
      read,
    })),
    notes: [
      `Book: the scripts of ${dir} and ${cpuDir} (edition ${edition}), run ` +
      `with ${python} (${version}) against the same servers, on ports ` +
      `${ports.LOCAL}-${ports.ERROR}; × book: the median of ours over the ` +
      "book's script of the same name.",
    ],
  };
}
