/**
 * What the flags2 command line needs beyond the book's argparse and
 * `print`: commander set up to behave like argparse (usage errors, `-h`,
 * integer options), a `-s` that also takes a whole URL, plurals, and a hint
 * when the test servers are not running.
 *
 * Workers load the scripts, and so this module: commander is imported only
 * when a command line is parsed.
 *
 * @module
 */
import type * as Commander from "commander";

/** The parser that `argumentParser` makes: a commander `Command`. */
export type Command = Commander.Command;
/** The options' values that `parseCommandLine` returns. */
export type OptionValues = Commander.OptionValues;

/** A command line that makes no sense: `main` prints it with the usage line and exits 2. */
export class UsageError extends Error {
  /** The class's name, as Python would print it. */
  override name = "UsageError";
}

// Imported by `argumentParser`, before `integer` or `parseCommandLine` runs.
let commander: typeof Commander;

/**
 * A commander `Command` that behaves like argparse's parser: named after the
 * script, `-h` for the help in plain text, silent on errors (`main` prints
 * them).
 *
 * @returns the parser, to add the options to
 */
export async function argumentParser(): Promise<Command> {
  commander = await import("commander");
  return new commander.Command()
    .name(scriptName())
    .helpOption("-h, --help", "show this help message and exit")
    // No colours, as argparse: deciding reads the environment (needs --allow-env).
    .configureOutput({
      outputError: () => {},
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .exitOverride();
}

/**
 * Reads an option's value as an integer, like argparse's `type=int`.
 *
 * @param value the option's text
 * @returns its value
 * @throws {InvalidArgumentError} (commander's) when it is not an integer
 */
export function integer(value: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new commander.InvalidArgumentError(`invalid int value: '${value}'`);
  }
  return Number(value);
}

/**
 * Parses `argv` as argparse would: `-h` prints the help and exits 0.
 *
 * @param program a parser of `argumentParser`, with its options
 * @param argv the arguments after the script's name
 * @returns the options' values, as `T` says they are; `program.args` holds
 * the positional ones
 * @throws {UsageError} for an unknown option or a bad value
 */
export function parseCommandLine<T extends OptionValues>(
  program: Command,
  argv: string[],
): T {
  try {
    program.parse(argv, { from: "user" });
  } catch (exc) {
    if (!(exc instanceof commander.CommanderError)) throw exc;
    if (exc.code === "commander.helpDisplayed") Deno.exit(0);
    throw new UsageError(exc.message.replace(/^error: /, ""));
  }
  return program.opts<T>();
}

/**
 * Prints a usage error the way argparse does and exits with status 2;
 * anything else is thrown again.
 *
 * @param exc what went wrong
 * @param usage the usage line after the script's name
 * @throws `exc` when it is not a `UsageError`
 */
export function usageExit(exc: unknown, usage: string): never {
  if (!(exc instanceof UsageError)) throw exc;
  console.error(`*** Usage error: ${exc.message}`);
  console.error(`usage: ${scriptName()} ${usage}`);
  Deno.exit(2);
}

/** The file name of the script that runs. */
function scriptName(): string {
  return Deno.mainModule.split("/").at(-1) ?? "flags2";
}

/**
 * The label and base URL that `-s` names: one of `servers`, in any case,
 * or beyond the book a whole `http(s)://` URL, labelled `CUSTOM`. The
 * environment variable `FLAGS2_{LABEL}_URL` (`FLAGS2_LOCAL_URL`...) moves a
 * label elsewhere, when environment access is granted (it is never asked for).
 *
 * @param server the `-s` value
 * @param servers the URLs by label
 * @returns the label, upper-cased, and its URL without trailing slashes
 * @throws {UsageError} for a label not in `servers`, or a URL that is not
 * `http(s)://` with a host
 */
export function resolveServer(
  server: string,
  servers: Readonly<Record<string, string>>,
): [string, string] {
  // A scheme (`http:`, `ftp:`...) makes it a URL; labels have no colon.
  if (/^[a-z][a-z\d+.-]*:/i.test(server)) {
    return ["CUSTOM", httpUrl("--server URL", server)];
  }
  const label = server.toUpperCase();
  if (!(label in servers)) {
    const options = Object.keys(servers).sort().join(", ");
    throw new UsageError(`--server LABEL must be one of ${options}`);
  }
  const variable = `FLAGS2_${label}_URL`;
  const { state } = Deno.permissions.querySync({ name: "env", variable });
  const moved = state === "granted" ? Deno.env.get(variable) : undefined;
  return [label, moved ? httpUrl(variable, moved) : servers[label]];
}

/** `value` as a base URL, without trailing slashes; a `UsageError` unless http(s) with a host. */
function httpUrl(what: string, value: string): string {
  const url = URL.parse(value);
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) {
    throw new UsageError(
      `${what} must be an http:// or https:// URL with a host, not '${value}'`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/** The labels of the servers that `deno task serve` starts. */
const TEST_SERVERS = ["LOCAL", "DELAY", "ERROR"];

/**
 * After a run where every download failed, says on standard error how to
 * start the test servers if `label` is one of them and nothing accepts a
 * connection at `baseUrl`.
 *
 * @param label the server's label
 * @param baseUrl its URL
 */
export async function hintNoServer(
  label: string,
  baseUrl: string,
): Promise<void> {
  if (!TEST_SERVERS.includes(label)) return;
  try {
    const signal = AbortSignal.timeout(1000);
    await (await fetch(baseUrl, { method: "HEAD", signal })).body?.cancel();
  } catch (exc) {
    // fetch's TypeError is a network error; a timeout means someone is there.
    if (!(exc instanceof TypeError)) return;
    console.error(
      `*** No server at ${baseUrl}: start the test servers with ` +
        `"deno task serve" in another terminal.`,
    );
  }
}

/**
 * `count` followed by `noun`, with an "s" unless the count is one.
 *
 * @param count how many
 * @param noun what, in the singular
 * @returns e.g. `"1 flag"`, `"2 flags"`
 */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
