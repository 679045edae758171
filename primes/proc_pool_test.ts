/**
 * Unit tests of `proc_pool.ts`'s job.
 *
 * @module
 */

import assert from "node:assert/strict";
import { check } from "./proc_pool.ts";

Deno.test("check returns the number, the answer and a time in seconds", () => {
  const { n, prime, elapsed } = check(142702110479723n);
  assert.equal(n, 142702110479723n);
  assert.equal(prime, true);
  assert.ok(elapsed > 0 && elapsed < 60, String(elapsed));
});
