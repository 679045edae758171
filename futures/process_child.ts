/**
 * The body of every `ProcessPoolExecutor` child: a `deno run` of this file
 * with the pool's module as its argument. It imports that module, then runs
 * one of its exported functions per message from the pool and sends back the
 * value, or the error with its class name and fields, over the IPC channel,
 * so that what a call prints goes to the terminal untouched.
 *
 * @module
 */
import process from "node:process";
import { type Call, errorFields, runCall } from "./call.ts";

/** Serves the calls of the pool that started this process, on `module`. */
function serve(module: string): void {
  const exports: Promise<Record<string, unknown>> = import(module);
  exports.catch(() => {}); // each call reports the error
  process.on("message", async (call: Call) => {
    let outcome = await runCall(module, exports, call);
    try {
      // The channel sends what it cannot clone as garbage, so try first.
      structuredClone(outcome);
    } catch (exc) {
      outcome = { error: errorFields(exc) };
    }
    process.send!(outcome);
  });
  // The pool shut down, or its process died: nothing more will come.
  process.on("disconnect", () => Deno.exit(0));
}

if (import.meta.main) serve(Deno.args[0]);
