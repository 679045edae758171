/**
 * An RC4-compatible stream cipher, as *Fluent Python*'s `crypto/arcfour.py`:
 * the CPU-bound job of `arcfour_futures.ts`. Encrypting twice with the same
 * key gives the plain text back.
 *
 *     deno run crypto/arcfour.ts    # encrypts and decrypts 1 MB, with the times
 *
 * @module
 */
import { argumentParser } from "../lib/cli.ts";

/**
 * Encrypts (or decrypts) `inBytes` with `key`. The key schedule runs its
 * mixing loop `loops` times, as CipherSaber-2 recommends; with `loops = 1`
 * this is plain RC4.
 *
 * @param key 1 to 256 bytes
 * @param inBytes the plain text, or the cipher text
 * @param loops how many times the key schedule mixes the state box
 * @returns the cipher text, or the plain text, as long as `inBytes`
 * @throws {RangeError} if `key` is longer than 256 bytes
 *
 * @example Encrypting twice gives the plain text back
 * ```ts
 * import assert from "node:assert/strict";
 * import { arcfour } from "./arcfour.ts";
 *
 * const key = new TextEncoder().encode("key");
 * const plain = new TextEncoder().encode("secret");
 * const cipher = arcfour(key, plain);
 * assert.notDeepEqual(cipher, plain);
 * assert.deepEqual(arcfour(key, cipher), plain);
 * ```
 */
export function arcfour(
  key: Uint8Array,
  inBytes: Uint8Array,
  loops = 20,
): Uint8Array {
  if (key.length > 256) {
    throw new RangeError(`key of ${key.length} bytes: at most 256 allowed`);
  }
  const kbox = new Uint8Array(256); // the key, repeated until full
  kbox.set(key);
  for (let i = key.length; i < 256; i++) kbox[i] = kbox[i - key.length];

  const sbox = Uint8Array.from({ length: 256 }, (_, i) => i);
  let j = 0;
  for (let k = 0; k < loops; k++) {
    for (let i = 0; i < 256; i++) {
      j = (j + sbox[i] + kbox[i]) % 256;
      swap(sbox, i, j);
    }
  }

  let i = 0;
  j = 0;
  const outBytes = new Uint8Array(inBytes.length);
  for (let n = 0; n < inBytes.length; n++) {
    i = (i + 1) % 256;
    j = (j + sbox[i]) % 256; // shuffle the state box as we go
    swap(sbox, i, j);
    const t = (sbox[i] + sbox[j]) % 256;
    outBytes[n] = inBytes[n] ^ sbox[t];
  }
  return outBytes;
}

/**
 * Swaps two bytes of `box`, as Python's `a[i], a[j] = a[j], a[i]`: a
 * destructuring swap builds an array each time until V8's top tier removes
 * it, which made the first calls in every Worker or process 3-5x slower.
 */
function swap(box: Uint8Array, i: number, j: number): void {
  const t = box[i];
  box[i] = box[j];
  box[j] = t;
}

/** The book's `test`: times the encryption of 1 MB, then its decryption, and checks the round trip. */
function test(): void {
  const clear = new TextEncoder().encode("1234567890".repeat(100_000));
  const t0 = performance.now();
  const elapsed = () => ((performance.now() - t0) / 1000).toFixed(2);
  const key = new TextEncoder().encode("key");
  const cipher = arcfour(key, clear);
  console.log(`elapsed time: ${elapsed()}s`);
  const result = arcfour(key, cipher);
  if (!sameBytes(result, clear)) {
    throw new RoundTripError("decrypted text differs from the clear text");
  }
  console.log(`elapsed time: ${elapsed()}s`);
  console.log("OK");
}

/**
 * Whether `a` and `b` hold the same bytes, as Python's `==` on two
 * bytearrays. A plain loop: `a.every(...)` took 12 times as long.
 *
 * @param a some bytes.
 * @param b some other bytes.
 * @returns true if they are as long and equal byte for byte.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Decrypting did not give the plain text back, where Python's `assert` fails. */
export class RoundTripError extends Error {
  static {
    this.prototype.name = "RoundTripError";
  }
}

if (import.meta.main) {
  const parser = await argumentParser({
    description: "Encrypt 1 MB, decrypt it back, and time both.",
  });
  parser.parse_args(Deno.args);
  test();
}
