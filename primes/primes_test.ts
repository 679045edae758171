/**
 * Unit tests of `primes.ts`: `isPrime` against every answer of the book's
 * fixture and below it, `isqrt` at the edges of squares.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPrime, isqrt, PRIME_FIXTURE } from "./primes.ts";

for (const [n, prime] of PRIME_FIXTURE) {
  Deno.test(`isPrime(${n}) is ${prime}, as the book's fixture says`, () => {
    assert.equal(isPrime(n), prime);
  });
}

Deno.test("isPrime below the fixture: none under 2, and the first primes", () => {
  const primes = [];
  for (let n = -3n; n < 30n; n++) if (isPrime(n)) primes.push(n);
  assert.deepEqual(primes, [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n]);
});

Deno.test("isqrt is the floor of the square root, at every size", () => {
  for (let n = 0n; n < 1000n; n++) {
    const r = isqrt(n);
    assert.ok(r * r <= n && (r + 1n) ** 2n > n, `isqrt(${n}) = ${r}`);
  }
  for (const root of [99999989n, 10n ** 8n, 2n ** 53n + 1n, 3n ** 100n]) {
    assert.equal(isqrt(root ** 2n), root);
    assert.equal(isqrt(root ** 2n - 1n), root - 1n);
    assert.equal(isqrt((root + 1n) ** 2n - 1n), root);
  }
  assert.throws(() => isqrt(-1n), RangeError);
});
