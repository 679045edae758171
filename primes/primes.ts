/**
 * `isPrime` by trial division, and the 20 numbers of the book's fixture
 * with their answers: *Fluent Python* 2nd edition's `primes/primes.py`.
 * Run as a script, it checks every answer and prints each number with it.
 *
 * The numbers go up to 10^16, beyond 2^53: as doubles, 9999999999999917
 * (a prime) would become the even 9999999999999916, so numbers are
 * `bigint`s. Speed does not argue for doubles: with Deno 2.9's V8, this
 * loop ran faster on `bigint`s (which fit 64 bits here) than on doubles
 * (the figures are in docs/cpu.md).
 *
 * @example A prime of the book's and a composite
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPrime } from "./primes.ts";
 *
 * assert.equal(isPrime(142702110479723n), true);
 * assert.equal(isPrime(3333333333333333n), false); // divisible by 3
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";

/** The book's numbers, each with whether it is prime; the composites include squares of primes. */
export const PRIME_FIXTURE: readonly (readonly [bigint, boolean])[] = [
  [2n, true],
  [142702110479723n, true],
  [299593572317531n, true],
  [3333333333333301n, true],
  [3333333333333333n, false],
  [3333335652092209n, false],
  [4444444444444423n, true],
  [4444444444444444n, false],
  [4444444488888889n, false],
  [5555553133149889n, false],
  [5555555555555503n, true],
  [5555555555555555n, false],
  [6666666666666666n, false],
  [6666666666666719n, true],
  [6666667141414921n, false],
  [7777777536340681n, false],
  [7777777777777753n, true],
  [7777777777777777n, false],
  [9999999999999917n, true],
  [9999999999999999n, false],
];

/** The fixture's numbers, in its order. */
export const NUMBERS: readonly bigint[] = PRIME_FIXTURE.map(([n]) => n);

/**
 * Whether `n` is prime, by trying every odd divisor up to its square root,
 * as the book does.
 *
 * @param n the number, exact at any size.
 * @returns true if `n` is prime.
 */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  if (n === 2n) return true;
  if (n % 2n === 0n) return false;

  const root = isqrt(n);
  for (let i = 3n; i <= root; i += 2n) {
    if (n % i === 0n) return false;
  }
  return true;
}

/**
 * The integer square root, as Python's `math.isqrt`: the largest `r` with
 * `r * r <= n`. Newton's method from a power of two above the root.
 *
 * @param n a number >= 0.
 * @returns the floor of its square root.
 * @throws {RangeError} if `n` is negative.
 */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError("isqrt of a negative number");
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * Checks every answer of the fixture, printing each number with it.
 *
 * @throws {AssertionError} (`node:assert`'s) at a wrong answer.
 */
export function main(): void {
  for (const [n, prime] of PRIME_FIXTURE) {
    const primeRes = isPrime(n);
    assert.equal(primeRes, prime, `isPrime(${n})`);
    console.log(`${n} ${prime}`);
  }
}

if (import.meta.main) main();
