/**
 * The command line of the scripts, the servers and the bench: npm
 * `argparse`, the port of CPython's argparse 3.14, so that each
 * `add_argument` call reads as the book's. Beyond argparse: usage errors in
 * the book's words (`*** Usage error: ...`, then the usage line, exit 2), a
 * help of fixed width and no colours, so that no run needs `--allow-env`.
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

/**
 * The parser that `argumentParser` makes: argparse's, whose `error()`
 * prints `*** Usage error: MESSAGE` and the usage line, and exits 2.
 */
export interface ArgumentParser extends ArgparseParser {
  /**
   * Prints `*** Usage error: MESSAGE` and the usage line, and exits 2.
   *
   * @param message what makes no sense
   */
  error(message: string): never;
}
/** argparse's own parser, whose `error()` `ArgumentParser` overrides. */
export type ArgparseParser = argparse.ArgumentParser;
/** What `argumentParser` takes: argparse's keyword arguments. */
export type ArgumentParserOptions = argparse.ArgumentParserOptions;

/**
 * A command line that makes no sense, in words of our own: thrown by a type
 * function, the parser says it as it is; found after parsing, the caller
 * hands its message to `parser.error()`.
 */
export class UsageError extends Error {
  static {
    this.prototype.name = "UsageError";
  }
}

/** Python's terminal size when it cannot ask (80 columns), less argparse's margin of 2. */
const HELP_WIDTH = 78;

/**
 * An argparse `ArgumentParser` named after the script that runs, with a
 * help 78 columns wide and no colours, whose `error()` prints
 * `*** Usage error: MESSAGE` and the usage line on standard error and
 * exits 2. `-h` prints the help and exits 0.
 *
 * @param options argparse's, as `{ description: "..." }`; `prog` is the
 * script's file name by default
 * @returns the parser, to add the arguments to
 */
export async function argumentParser(
  options: ArgumentParserOptions = {},
): Promise<ArgumentParser> {
  const { ArgumentParser, HelpFormatter } = await import("npm:argparse@3.0.4");

  // argparse's own width comes from COLUMNS, which needs --allow-env.
  class FixedWidthFormatter extends HelpFormatter {
    constructor(options: argparse.HelpFormatterOptions) {
      super({ ...options, width: HELP_WIDTH });
    }
  }

  class UsageErrorParser extends ArgumentParser {
    override parse_known_args<T extends object = argparse.Namespace>(
      args?: string[],
      namespace?: T,
    ): [T, string[]] {
      try {
        return super.parse_known_args(args, namespace);
      } catch (exc) {
        if (!(exc instanceof UsageError)) throw exc;
        this.error(exc.message);
      }
    }

    override error(message: string): never {
      console.error(`*** Usage error: ${message}`);
      // One line, however long: the usage line of the book's scripts.
      console.error(this.format_usage().trim().replace(/\s*\n\s*/g, " "));
      Deno.exit(2);
    }
  }

  return new UsageErrorParser({
    prog: Deno.mainModule.split("/").at(-1),
    formatter_class: FixedWidthFormatter,
    color: false, // deciding would read the environment, even into a pipe
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
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new TypeError(`invalid literal for int(): '${value}'`);
  }
  return Number(value);
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
