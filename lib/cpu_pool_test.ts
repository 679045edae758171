/**
 * Unit tests of `cpu_pool.ts`'s executor of the main thread.
 *
 * @module
 */

import assert from "node:assert/strict";
import { arcfourTest } from "../crypto/arcfour_futures.ts";
import { MainThreadExecutor } from "./cpu_pool.ts";

Deno.test("MainThreadExecutor: what a call returns, or throws, settles its future", async () => {
  await using executor = new MainThreadExecutor();
  const ok = executor.submit(arcfourTest, 10, new Uint8Array(3));
  assert.equal(await ok.result(), 10);
  const bad = executor.submit(arcfourTest, 10, new Uint8Array(257));
  await assert.rejects(bad.result(), RangeError);
});
