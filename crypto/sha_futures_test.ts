/**
 * Unit tests of `sha_futures.ts`'s job.
 *
 * @module
 */

import assert from "node:assert/strict";
import { sha } from "./sha_futures.ts";

Deno.test("sha hashes random bytes: a hex SHA-256, another each time", () => {
  const [a, b] = [sha(1000), sha(1000)];
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
});
