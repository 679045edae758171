/**
 * Programs run in a real pseudo-terminal (`script` of util-linux), for what
 * only a terminal shows: the progress bar, widths, prompts, Ctrl-C.
 *
 * @module
 */

import { decode } from "./process.ts";

/** How `runInTerminal` runs a program. */
export interface TerminalOptions {
  /** The terminal's width; 80 by default (24 rows). */
  columns?: number;
  /** The folder it runs from. */
  cwd?: string;
  /** Variables added to the environment. */
  env?: Record<string, string>;
  /**
   * Standard error to a file, not the terminal (`2>FILE`), to read apart:
   * `TerminalRun.stderr`. The terminal then shows standard output only.
   */
  stderrApart?: boolean;
  /** Keys typed once the screen matches `when`, e.g. Ctrl-C, `"\x03"`. */
  type?: { when: RegExp; keys: string };
}

/** What a program showed in the terminal, and how it ended. */
export interface TerminalRun {
  /** Its exit status (128 + N when killed by signal N). */
  code: number;
  /** Everything the terminal received, escapes and `\r\n` included. */
  screen: string;
  /** Its standard error, with `stderrApart`; else "". */
  stderr: string;
  /** Whether `type`'s keys were typed. */
  typed: boolean;
}

/**
 * Runs `argv` in a pseudo-terminal `columns` wide, with `COLUMNS` and
 * `LINES` unset, so that the program measures the terminal itself.
 *
 * @param argv the program, then its arguments
 * @param options the terminal's width, the folder, keys to type...
 * @returns what the terminal showed, and the exit status
 */
export async function runInTerminal(
  argv: string[],
  { columns = 80, cwd, env, stderrApart = false, type }: TerminalOptions = {},
): Promise<TerminalRun> {
  const errFile = stderrApart ? await Deno.makeTempFile() : undefined;
  const redirect = errFile ? ` 2>${quote(errFile)}` : "";
  const child = new Deno.Command("script", {
    args: [
      "-qfec",
      `stty cols ${columns} rows 24; unset COLUMNS LINES; ` +
      `exec ${argv.map(quote).join(" ")}${redirect}`,
      "/dev/null",
    ],
    cwd,
    stdin: type ? "piped" : "null",
    stdout: "piped",
    stderr: "null",
    env,
  }).spawn();
  const writer = type && child.stdin.getWriter();
  let screen = "";
  let typed = false;
  try {
    for await (
      const text of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      screen += text;
      if (writer && !typed && type.when.test(screen)) {
        await writer.write(new TextEncoder().encode(type.keys));
        typed = true;
      }
    }
  } finally {
    await writer?.close().catch(() => {});
  }
  const { code } = await child.status;
  let stderr = "";
  if (errFile) {
    stderr = decode(await Deno.readFile(errFile));
    await Deno.remove(errFile);
  }
  return { code, screen, stderr, typed };
}

/** `arg` quoted for the shell. */
function quote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * The lines a terminal shows of `screen`, as drawn: escapes removed, lines
 * split at `\r\n` and at a bare `\r` (a line drawn over), trailing spaces
 * trimmed.
 *
 * @param screen what the terminal received
 * @returns its lines
 */
export function drawnLines(screen: string): string[] {
  // deno-lint-ignore no-control-regex -- ANSI escapes start with ESC
  return screen.replace(/\x1b\[[\d;]*[A-Za-z]/g, "")
    .split(/\r\n|\r/).map((line) => line.trimEnd());
}
