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
  const serve = serveCalls(Deno.args[0], (outcome) => {
    // The channel sends what it cannot clone as garbage, so try first.
    structuredClone(outcome);
    process.send!(outcome);
  });
  process.on("message", serve);
  // The pool shut down, or its process died: nothing more will come.
  process.on("disconnect", () => Deno.exit(0));
}
