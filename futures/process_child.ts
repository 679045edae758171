/**
 * The body of every `ProcessPoolExecutor` child: a `deno run` of this file
 * with the pool's module URL as its argument. It serves that module's calls
 * (see `serveCalls`) over the IPC channel, so that what a call prints goes
 * to the terminal untouched, and says that its loop turns with a message
 * each tick while calls ride on it.
 *
 * @module
 */
import process from "node:process";
import { serveCalls } from "./serve.ts";

if (import.meta.main) {
  const exit = Deno.exit; // a call's Deno.exit() fails that call only
  const send = (message: unknown) => {
    if (process.connected) process.send!(message);
  };
  const serve = serveCalls(Deno.args[0], {
    send: (message) => {
      // The channel sends what it cannot clone as garbage, so try first.
      structuredClone(message);
      send(message);
    },
    beat: (now, riding) => riding && send({ beat: now }),
  });
  process.on("message", serve);
  // The pool shut down, or its process died: nothing more will come.
  process.on("disconnect", () => exit(0));
  // A parent killed while a reply crossed may not close the channel for
  // this side: its death still shows, as a new parent pid.
  const parent = Deno.ppid;
  Deno.unrefTimer(setInterval(() => Deno.ppid !== parent && exit(0), 500));
}
