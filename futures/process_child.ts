/**
 * The body of every `ProcessPoolExecutor` child: a `deno run` of this file
 * with the pool's module as its argument. It serves that module's calls (see
 * `serveCalls`) over the IPC channel, so that what a call prints goes to the
 * terminal untouched.
 *
 * @module
 */
import process from "node:process";
import { serveCalls } from "./call.ts";

if (import.meta.main) {
  const serve = serveCalls(Deno.args[0], (reply) => {
    // The channel sends what it cannot clone as garbage, so try first.
    structuredClone(reply);
    process.send!(reply);
  });
  process.on("message", serve);
  // The pool shut down, or its process died: nothing more will come.
  process.on("disconnect", () => Deno.exit(0));
  // A parent killed while a reply crossed may not close the channel for
  // this side: its death still shows, as a new parent pid.
  const parent = Deno.ppid;
  Deno.unrefTimer(setInterval(() => Deno.ppid !== parent && Deno.exit(0), 500));
}
