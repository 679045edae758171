/**
 * Ctrl-C for the flags2 scripts: an `AbortSignal` that SIGINT aborts, so
 * that requests under way stop and `main` prints the report of what finished.
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
