/**
 * A missing permission said in one line, naming the flag to add, and exit
 * 1: never a stack trace, nor one line of Deno's own per Worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitOnMissingPermission, LOAD_CODE } from "./permissions.ts";
 *
 * // Granted here (the tests run with -A): it returns, and listens from now on.
 * exitOnMissingPermission(LOAD_CODE);
 * assert.equal(Deno.permissions.querySync(LOAD_CODE).state, "granted");
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The folder of this code: a file: URL in a clone, http(s): run by its URL. */
const CODE_FOLDER = new URL("../", import.meta.url);

/**
 * What loading this code's modules needs, as Workers and child processes
 * do: read access to its folder, or when it runs by its URL, import access
 * to its host.
 */
export const LOAD_CODE: Deno.PermissionDescriptor = codeAccess("import");

/**
 * What reading the data files beside this code needs (`flags.zip`,
 * `country_codes.txt`, fetched from their URLs): read access to its
 * folder, or when it runs by its URL, net access to its host.
 */
export const READ_DATA: Deno.PermissionDescriptor = codeAccess("net");

/** Read access to `CODE_FOLDER` if it is a folder, else `remote` access to its host and port. */
function codeAccess(remote: "import" | "net"): Deno.PermissionDescriptor {
  const { protocol, hostname, port } = CODE_FOLDER;
  if (protocol === "file:") {
    return { name: "read", path: fileURLToPath(CODE_FOLDER) };
  }
  // Deno grants a host's default port only when it is named.
  const defaultPort = protocol === "https:" ? "443" : "80";
  return { name: remote, host: `${hostname}:${port || defaultPort}` };
}

// Deno's own words for a missing permission end with the flag to add.
const NEEDS_FLAG = /run again with the --allow-[a-z]+ flag/;
let reportingPermissions = false;

/**
 * Makes a missing permission one line on standard error, naming the flag
 * to add, and exit 1, never a stack trace: checks `needs` now, and from now
 * on any error that escapes and says which flag it needs (Deno's
 * `NotCapable`, a Worker that could not load its module...).
 *
 * @param needs permissions needed from the start, e.g. `LOAD_CODE` before
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

/**
 * The environment variable `name` if environment access to it is granted,
 * without ever asking for it: a setting that a run may do without.
 *
 * @param name the variable, e.g. `COLUMNS`
 * @returns its value; undefined when unset or not granted
 */
export function grantedEnv(name: string): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: name });
  return state === "granted" ? Deno.env.get(name) : undefined;
}

/** What `need` names, as Deno's message does: a path, a host, a variable... */
function target(need: Deno.PermissionDescriptor): string | undefined {
  const value = Object.entries(need).find(([key]) => key !== "name")?.[1];
  return value instanceof URL ? fileURLToPath(value) : value;
}

/** Prints `message` after `*** Missing permission: ` and exits 1. */
function missingPermission(message: string): never {
  console.error(`*** Missing permission: ${message}`);
  Deno.exit(1);
}
