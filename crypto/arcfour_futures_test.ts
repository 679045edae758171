/**
 * Unit tests of `arcfour_futures.ts`'s job.
 *
 * @module
 */

import assert from "node:assert/strict";
import { arcfourTest } from "./arcfour_futures.ts";

Deno.test("arcfourTest round-trips random bytes and returns their size", () => {
  assert.equal(arcfourTest(1000, new TextEncoder().encode("key")), 1000);
});
