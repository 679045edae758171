/**
 * Ctrl-C for the flags2 scripts: an `AbortSignal` that SIGINT aborts, so
 * that requests under way stop and `main` prints the report of what finished;
 * for `flags.ts` and its kin, which print codes on one line, an exit that
 * ends that line first.
 *
 * Importing this module installs nothing: a SIGINT listener turns off
 * Deno's default exit, so only `main`, and a Worker when it starts a
 * request, call `listenForCtrlC`. SIGINT reaches every thread's listeners.
 *
 * @module
 */

const controller = new AbortController();
let listening = false;

/** Aborted by Ctrl-C, once `listenForCtrlC` has run in this thread. */
export const interrupted: AbortSignal = controller.signal;

/**
 * Makes Ctrl-C abort `interrupted` in this thread; calls after the first do
 * nothing more.
 *
 * @returns `interrupted`
 */
export function listenForCtrlC(): AbortSignal {
  if (!listening) {
    Deno.addSignalListener("SIGINT", () => controller.abort());
    listening = true;
  }
  return interrupted;
}

/**
 * Makes Ctrl-C end the process with status 130, as Deno's default does, but
 * after a newline on standard output: `flags.ts` prints its codes on one
 * line (`BD BR `), which the shell's prompt would otherwise go on.
 */
export function endLineOnCtrlC(): void {
  Deno.addSignalListener("SIGINT", () => {
    console.log();
    Deno.exit(130);
  });
}
