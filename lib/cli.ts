/**
 * The one command line of the scripts, the servers and the bench: commander
 * set up to behave like argparse (usage errors, `-h`, abbreviated long
 * options, integer and choice options), a `-s` that also takes a whole URL,
 * plurals, a hint when the test servers are not running, and a missing
 * permission said in one line.
 *
 * Workers load the scripts, and so this module: commander is imported only
 * when a command line is parsed.
 *
 * @example A command line as argparse would read it
 * ```ts
 * import { argumentParser, parseOrExit, positiveInteger } from "./cli.ts";
 *
 * const program = (await argumentParser("bench.ts"))
 *   .usage("[-h] [--repeat N] [--verbose]")
 *   .option("--repeat <N>", "runs per row", positiveInteger, 3)
 *   .option("--verbose", "say more");
 * const options = parseOrExit<{ repeat: number; verbose?: boolean }>(
 *   program,
 *   ["--rep", "5", "--verb"], // unique prefixes, as argparse's allow_abbrev
 * );
 * console.log(options); // { repeat: 5, verbose: true }
 * ```
 *
 * @module
 */
import type * as Commander from "commander";

/** The parser that `argumentParser` makes: a commander `Command`. */
export type Command = Commander.Command;
/** An option of a `Command`: what `serverOption` makes. */
export type Option = Commander.Option;
/** The options' values that `parseCommandLine` returns. */
export type OptionValues = Commander.OptionValues;

/** A command line that makes no sense: `main` prints it with the usage line and exits 2. */
export class UsageError extends Error {
  /** The class's name, as Python would print it. */
  override name = "UsageError";
}

// Imported by `argumentParser`, before `integer` or `parseCommandLine` runs.
let commander: typeof Commander;

/** commander's titles in the help, as argparse's (Python 3.10 and later). */
const HELP_TITLES: Record<string, string> = {
  "Usage:": "usage:",
  "Arguments:": "positional arguments:",
  "Options:": "options:",
};

/**
 * A commander `Command` that behaves like argparse's parser: named after the
 * script, `-h` for the help in plain text with argparse's titles and terms
 * (`usage:`, `-l N, --limit N`), silent on errors (`main` prints them).
 *
 * @param name the program's name in the help and the usage line; the file
 * name of the script that runs by default
 * @returns the parser, to add the options to
 */
export async function argumentParser(
  name: string = scriptName(),
): Promise<Command> {
  commander = await import("commander");
  return new commander.Command()
    .name(name)
    .helpOption("-h, --help", "show this help message and exit")
    .configureHelp({
      styleTitle: (title) => HELP_TITLES[title] ?? title,
      optionTerm: argparseTerm,
      optionDescription: argparseDescription,
      visibleOptions(cmd) {
        // argparse lists -h first.
        const options = commander.Help.prototype.visibleOptions.call(this, cmd);
        return [options.pop()!, ...options];
      },
    })
    // No colours, as argparse: deciding reads the environment (needs --allow-env).
    .configureOutput({
      outputError: () => {},
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .exitOverride();
}

/** An option as argparse's help shows it: `-l N, --limit N`. */
function argparseTerm(option: Option): string {
  const metavar = /[<[](.+?)(?:\.\.\.)?[>\]]/.exec(option.flags)?.[1];
  return [option.short, option.long]
    .filter((flag) => flag !== undefined)
    .map((flag) => metavar ? `${flag} ${metavar}` : flag)
    .join(", ");
}

/**
 * An option's help as argparse's `ArgumentDefaultsHelpFormatter` writes it,
 * `(default: 1)` with no quotes, unless the help gives its default itself
 * (the book's `(default=LOCAL)`).
 */
function argparseDescription(option: Option): string {
  const { description, defaultValue } = option;
  if (defaultValue === undefined || /default/.test(description)) {
    return description;
  }
  const value = option.defaultValueDescription ?? String(defaultValue);
  return `${description} (default: ${value})`;
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
 * Reads an option's value as an integer of at least 1: a count, a size.
 *
 * @param value the option's text
 * @returns its value
 * @throws {InvalidArgumentError} (commander's) when it is not an integer >= 1
 */
export function positiveInteger(value: string): number {
  const n = integer(value);
  if (n < 1) throw new commander.InvalidArgumentError("must be >= 1");
  return n;
}

/**
 * A reader of an option's value that takes only one of `values`, like
 * argparse's `choices`.
 *
 * @param values the values allowed
 * @returns the reader, to give to `option()`
 */
export function choice<T extends string>(
  ...values: T[]
): (value: string) => T {
  return (value) => {
    if (!(values as string[]).includes(value)) {
      const allowed = values.map((v) => `'${v}'`).join(", ");
      throw new commander.InvalidArgumentError(
        `invalid choice: '${value}' (choose from ${allowed})`,
      );
    }
    return value as T;
  };
}

/**
 * Parses `argv` as argparse would: a unique prefix of a long option stands
 * for it (`--ser` for `--server`), `-h` prints the help and exits 0.
 *
 * @param program a parser of `argumentParser`, with its options
 * @param argv the arguments after the script's name
 * @returns the options' values, as `T` says they are; `program.args` holds
 * the positional ones
 * @throws {UsageError} for an unknown or ambiguous option, a bad value, or
 * an argument too many (argparse's `unrecognized arguments: x`)
 */
export function parseCommandLine<T extends OptionValues>(
  program: Command,
  argv: string[],
): T {
  try {
    program.parse(expandPrefixes(program, argv), { from: "user" });
  } catch (exc) {
    if (!(exc instanceof commander.CommanderError)) throw exc;
    if (exc.code === "commander.helpDisplayed") Deno.exit(0);
    const extra = unrecognized(program, exc);
    throw new UsageError(
      extra
        ? `unrecognized arguments: ${extra}`
        : exc.message.replace(/^error: /, ""),
    );
  }
  return program.opts<T>();
}

/**
 * What argparse would call unrecognized arguments, after commander's error
 * `exc`: an unknown option, and the arguments beyond the positional ones,
 * in their order.
 *
 * @returns them joined by spaces, or undefined for any other error
 */
function unrecognized(
  program: Command,
  exc: Commander.CommanderError,
): string | undefined {
  const flag = /^error: unknown option '(.*?)'/.exec(exc.message)?.[1];
  if (exc.code !== "commander.excessArguments" && !flag) return undefined;
  const at = flag === undefined ? -1 : program.args.indexOf(flag);
  if (flag !== undefined && at < 0) return flag;
  const declared = program.registeredArguments;
  const taken = declared.at(-1)?.variadic ? Infinity : declared.length;
  let positional = 0;
  return program.args
    .filter((_, i) => i === at || ++positional > taken)
    .join(" ");
}

/**
 * `argv` with each unique prefix of a long option written in full, as
 * argparse's `allow_abbrev`; an option's value and what follows `--` are
 * left alone.
 *
 * @throws {UsageError} for a prefix of more than one option
 */
function expandPrefixes(program: Command, argv: string[]): string[] {
  // argumentParser's help option is not in `program.options`.
  const help = { short: "-h", long: "--help", required: false };
  const options = [...program.options, help];
  const expanded = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") return [...expanded, ...argv.slice(i)];
    const [flag, ...value] = arg.split("=");
    let option = options.find((o) => o.short === arg || o.long === flag);
    if (!option && flag.startsWith("--")) {
      const matches = options.filter((o) => o.long?.startsWith(flag));
      if (matches.length > 1) {
        const names = matches.map((o) => o.long).join(", ");
        throw new UsageError(`ambiguous option: ${flag} could match ${names}`);
      }
      option = matches[0];
    }
    if (option?.long && flag.startsWith("--")) {
      expanded.push([option.long, ...value].join("="));
    } else expanded.push(arg);
    // The next argument is this option's value, whatever it looks like.
    if (option?.required && !value.length && i + 1 < argv.length) {
      expanded.push(argv[++i]);
    }
  }
  return expanded;
}

/**
 * Parses `argv` with `program` as `parseCommandLine` does, and on a usage
 * error prints it with the usage line and exits 2, as `usageExit` does.
 *
 * @param program a parser of `argumentParser`, with its options and usage
 * @param argv the arguments after the script's name
 * @returns the options' values, as `T` says they are
 */
export function parseOrExit<T extends OptionValues>(
  program: Command,
  argv: string[],
): T {
  try {
    return parseCommandLine<T>(program, argv);
  } catch (exc) {
    usageExit(exc, program.usage(), program.name());
  }
}

/**
 * Prints a usage error the way argparse does, on standard error, and exits
 * with status 2; anything else is thrown again.
 *
 * @param exc what went wrong
 * @param usage the usage line after the program's name
 * @param name the program's name; the script's file name by default
 * @throws `exc` when it is not a `UsageError`
 */
export function usageExit(
  exc: unknown,
  usage: string,
  name: string = scriptName(),
): never {
  if (!(exc instanceof UsageError)) throw exc;
  console.error(`*** Usage error: ${exc.message}`);
  console.error(`usage: ${name} ${usage}`);
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

/**
 * The option `-s LABEL` of the download scripts, with its help: the labels
 * of `servers`, or a base URL.
 *
 * @param servers the URLs by label
 * @param label the default label
 * @returns the option, to give to `addOption`; `resolveServer` reads its value
 */
export function serverOption(
  servers: Readonly<Record<string, string>>,
  label: string,
): Option {
  const labels = Object.keys(servers).sort().join(", ");
  return new commander.Option(
    "-s, --server <LABEL>",
    // The book's words, with its default in them.
    `Server to hit; one of ${labels}, or a base URL (default=${label})`,
  ).default(label);
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

/**
 * Read access to the folder of this code, from which Workers and child
 * processes load their modules.
 */
export const READ_CODE: Deno.PermissionDescriptor = {
  name: "read",
  path: new URL("../", import.meta.url),
};

// Deno's own words for a missing permission end with the flag to add.
const NEEDS_FLAG = /run again with the --allow-[a-z]+ flag/;
let reportingPermissions = false;

/**
 * Makes a missing permission one line on standard error, naming the flag
 * to add, and exit 1, never a stack trace: checks `needs` now, and from now
 * on any error that escapes and says which flag it needs (Deno's
 * `NotCapable`, a Worker that could not load its module...).
 *
 * @param needs permissions needed from the start, e.g. `READ_CODE` before
 * starting Workers, which Deno would report with a line of its own each
 */
export function exitOnMissingPermission(
  ...needs: Deno.PermissionDescriptor[]
): void {
  for (const need of needs) {
    if (Deno.permissions.querySync(need).state === "granted") continue;
    const what = target(need);
    missingPermission(
      `Requires ${need.name} access${what ? ` to "${what}"` : ""}, ` +
        `run again with the --allow-${need.name} flag`,
    );
  }
  if (reportingPermissions) return;
  reportingPermissions = true;
  const report = (event: Event, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (!NEEDS_FLAG.test(message)) return; // anything else: Deno's report
    event.preventDefault();
    missingPermission(message);
  };
  globalThis.addEventListener("unhandledrejection", (e) => report(e, e.reason));
  globalThis.addEventListener("error", (e) => report(e, e.error));
}

/** What `need` names, as Deno's message does: a path, a host, a variable... */
function target(need: Deno.PermissionDescriptor): string | undefined {
  const value = Object.entries(need).find(([key]) => key !== "name")?.[1];
  return value instanceof URL ? decodeURIComponent(value.pathname) : value;
}

/** Prints `message` after `*** Missing permission: ` and exits 1. */
function missingPermission(message: string): never {
  console.error(`*** Missing permission: ${message}`);
  Deno.exit(1);
}
