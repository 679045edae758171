/**
 * The command line of the scripts, the servers and the bench: npm
 * `argparse`, the port of CPython's argparse 3.14, so that each
 * `add_argument` call reads as the book's, and what argparse finds wrong
 * prints as CPython's does: the usage wrapped to the terminal's width, then
 * `PROG: error: MESSAGE` on standard error, exit 2. The scripts' own checks
 * print as the book's do: `*** Usage error: MESSAGE`, then the usage, on
 * standard output, exit 2. No colours, and no run needs `--allow-env`:
 * argparse would read the environment to decide on colours and width.
 *
 * Workers load the scripts, and so this module: argparse is imported only
 * when a parser is made.
 *
 * @example A command line as argparse reads it
 * ```ts
 * import assert from "node:assert/strict";
 * import { argumentParser, positiveInt } from "./cli.ts";
 *
 * const parser = await argumentParser({ prog: "bench.ts" });
 * parser.add_argument("--repeat", { metavar: "N", type: positiveInt, default: 3 });
 * parser.add_argument("--verbose", { action: "store_true" });
 * // Unique prefixes stand for their options, as argparse's allow_abbrev.
 * const args = parser.parse_args(["--rep", "5", "--verb"]);
 * assert.deepEqual({ ...args }, { repeat: 5, verbose: true });
 * ```
 *
 * @module
 */
import type * as argparse from "npm:argparse@3.0.4";
import { grantedEnv } from "./permissions.ts";

/**
 * The parser that `argumentParser` makes: argparse's, whose `error()`
 * prints argparse's own errors as CPython's, with `usageError()` for the
 * scripts' own checks.
 */
export interface ArgumentParser extends ArgparseParser {
  /**
   * The book's own check: prints `*** Usage error: MESSAGE` and the usage
   * on standard output, and exits 2.
   *
   * @param message what makes no sense
   */
  usageError(message: string): never;
}
/** argparse's own parser, which `ArgumentParser` extends. */
export type ArgparseParser = argparse.ArgumentParser;
/** What `argumentParser` takes: argparse's keyword arguments. */
export type ArgumentParserOptions = argparse.ArgumentParserOptions;

/**
 * A command line that makes no sense, in words of our own: thrown by a type
 * function or while parsing, the parser prints it as the book's own checks;
 * found after parsing, the caller hands its message to `parser.usageError()`.
 */
export class UsageError extends Error {
  static {
    this.prototype.name = "UsageError";
  }
}

/**
 * The terminal's width as CPython's `shutil.get_terminal_size()` sees it,
 * which argparse's help and usage fit (less 2): `COLUMNS` if it is a
 * positive integer (read only when `--allow-env` grants it, never asked
 * for), else the width of the terminal on standard output, else 80.
 *
 * @returns the columns
 */
export function terminalColumns(): number {
  try {
    const columns = int(grantedEnv("COLUMNS") ?? "");
    if (columns > 0) return columns;
  } catch { /* unset or not a number: as Python, ask the terminal */ }
  if (Deno.stdout.isTerminal()) {
    try {
      const { columns } = Deno.consoleSize();
      if (columns > 0) return columns;
    } catch { /* no size to tell */ }
  }
  return 80;
}

/**
 * An argparse `ArgumentParser` named after the script that runs, whose help
 * and usage fit the terminal (`terminalColumns()`) and have no colours.
 * `-h` prints the help and exits 0; argparse's own errors print as
 * CPython's, and `usageError()` as the book's own checks, both exit 2.
 *
 * @param options argparse's, as `{ description: "..." }`; `prog` is the
 * script's file name by default
 * @returns the parser, to add the arguments to
 */
export async function argumentParser(
  options: ArgumentParserOptions = {},
): Promise<ArgumentParser> {
  const { ArgumentParser, HelpFormatter } = await import("npm:argparse@3.0.4");

  // Left to itself, each formatter reads COLUMNS and, to decide on colours,
  // PYTHON_COLORS, TERM and node's NODE_DISABLE_COLORS..., asking for env
  // access in a terminal; a parser's `color: false` comes too late for that.
  class TerminalFormatter extends HelpFormatter {
    constructor(options: argparse.HelpFormatterOptions) {
      super({ ...options, width: terminalColumns() - 2, color: false });
    }
  }

  class BookParser extends ArgumentParser implements ArgumentParser {
    override parse_known_args<T extends object = argparse.Namespace>(
      args?: string[],
      namespace?: T,
    ): [T, string[]] {
      try {
        return super.parse_known_args(args, namespace);
      } catch (exc) {
        if (!(exc instanceof UsageError)) throw exc;
        this.usageError(exc.message);
      }
    }

    usageError(message: string): never {
      console.log(`*** Usage error: ${message}`);
      console.log(this.format_usage().replace(/\n$/, ""));
      Deno.exit(2);
    }
  }

  return new BookParser({
    prog: Deno.mainModule.split("/").at(-1),
    formatter_class: TerminalFormatter,
    color: false,
    ...options,
  });
}

/**
 * Python's `int` as an argparse type: its name makes argparse's message
 * CPython's, `invalid int value: 'x'` (the port's `type: "int"` says
 * `invalid 'int' value`).
 *
 * @param value the argument's text
 * @returns its value
 * @throws {TypeError} when it is not an integer
 */
export function int(value: string): number {
  // Python's int() takes spaces around, a sign, and _ between digits.
  if (!/^[+-]?\d+(?:_\d+)*$/.test(value.trim())) {
    throw new TypeError(`invalid literal for int(): '${value}'`);
  }
  return Number(value.replaceAll("_", ""));
}

/**
 * An integer of at least 1 (a count, a size) as an argparse type: argparse
 * says `invalid positive int value: '0'`.
 *
 * @param value the argument's text
 * @returns its value
 * @throws {TypeError} when it is not an integer >= 1
 */
export const positiveInt: (value: string) => number = Object.defineProperty(
  (value: string) => {
    const n = int(value);
    if (n < 1) throw new TypeError(`not >= 1: ${n}`);
    return n;
  },
  "name",
  { value: "positive int" },
);
