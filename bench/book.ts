/**
 * `deno task bench --book DIR`: the book's own Python scripts, from a
 * checkout, measured beside ours: the flags2 scripts of DIR against the same
 * servers, on the ports the book's edition hardcodes; the CPU scripts beside
 * DIR in the modes they have. What is missing (the folder, Python, a script)
 * is said in one line, and the bench goes on without it.
 *
 * @module
 */

import { basename, dirname } from "node:path";
import { EDITION_PORTS } from "../slow_server.ts";
import { isFile, isFolder } from "../testing/files.ts";
import { type CpuScript, MODES, parseStatus, type Status } from "./cpu.ts";
import { failedRun, runFlags, versionOf, warn } from "./runs.ts";
import { type Baseline, serve } from "./scenarios.ts";

/** Each edition's flags folder (the first edition's also as updated for Python 3.7), the folder its scripts save to, the CPU scripts beside it. */
const EDITIONS = {
  1: {
    flags: /17-futures(-py3\.7)?\/countries$/,
    saveDir: "downloads",
    cpu: "crypto",
    cpuScripts: ["sha_futures.py", "arcfour_futures.py"],
    read: parseStatus,
  },
  2: {
    flags: /20-executors\/getflags$/,
    saveDir: "downloaded",
    cpu: "primes",
    cpuScripts: ["proc_pool.py"],
    read: parsePrimes,
  },
} as const;

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
 * The book's scripts of the checkout folder `folder`, `17-futures/countries`
 * or `20-executors/getflags`, run with `python`; none without it, and
 * none, with a line, when the folder or Python is missing.
 */
export async function loadBook(
  folder: string | undefined,
  python: string,
): Promise<Book> {
  const none: Book = { flags: [], cpu: [], notes: [] };
  const leaveOut = (why: string) => {
    warn(`*** ${why}; the book's rows are left out.`);
    return none;
  };
  if (folder === undefined) return none;
  let dir = folder.replace(/\/+$/, "");
  if (!(await isFolder(dir))) return leaveOut(`--book ${dir}: no such folder`);
  const edition = ([1, 2] as const).find((e) => EDITIONS[e].flags.test(dir));
  const not = "not 17-futures/countries nor 20-executors/getflags of the book";
  if (!edition) return leaveOut(`--book ${dir}: ${not}'s code`);
  const version = await versionOf([python, "--version"]);
  if (!version) return leaveOut(`--python ${python}: not found`);
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
