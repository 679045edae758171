/**
 * Unit tests of `arcfour.ts`: the test vectors of the book's
 * `arcfour_test.py`, 20 mixing loops, `sameBytes`, and the key's limit.
 *
 * @module
 */

import assert from "node:assert/strict";
import { arcfour, sameBytes } from "./arcfour.ts";

// The vectors of arcfour_test.py (from draft-kaukonen-cipher-arcfour-03), in hex.
const TEST_VECTORS: [string, { key: string; plain: string; cipher: string }][] =
  [
    ["CRYPTLIB", {
      key: "0123456789abcdef",
      plain: "0000000000000000",
      cipher: "7494c2e7104b0879",
    }],
    ["COMMERCE", {
      key: "618a63d2fb",
      plain: "dcee4cf92c",
      cipher: "f13829c9de",
    }],
    ["SSH ARCFOUR", {
      key: "29041972fb42ba5fc7127712f13829c9",
      plain:
        "527569736c696e6e756e206c61756c75206b6f727669737373616e692c2074e4" +
        "686be470e46964656e2070e4e46c6ce42074e47973696b75752e204b6573e479" +
        "f66e206f6e206f6e6e69206f6d616e616e692c206b61736b6973617675756e20" +
        "6c61616b736f7420766572686f75752e20456e206d6120696c6f697473652c20" +
        "737572652068756f6b61612c206d75747461206d657473e46e2074756d6d7575" +
        "73206d756c6c652074756f6b61612e205075756e746f2070696c76656e2c206d" +
        "692068756b6b75752c207369696e746f20766172616e207475756c6973656e2c" +
        "206d69206e756b6b75752e2054756f6b7375742076616e616d6f6e206a612076" +
        "61726a6f74207665656e2c206e69697374e420737964e46d656e69206c61756c" +
        "756e207465656e2e202d2045696e6f204c65696e6f",
      cipher:
        "358186999001e6b5daf05eceeb7eee21e0689c1f00eea81f7dd2caaee1d2763e" +
        "68af0ead33d66c268bc946c484fbe94c5f5e0b86a59279e4f824e7a640bd2232" +
        "10b0a61160b7bce986ea65688003596b630a6b90f8e0caf6912a98eb872176e8" +
        "3c202caa64166d2cce57ff1bca57b213f0ed1aa72fb8ea52b0be01cd1e412867" +
        "720b326eb389d011bd70d8af035fb0d8589dbce3c666f5ea8d4c7954c50c3f34" +
        "0b0467f81b425961c11843074df620f208404b394cf9d37ff54b5f1ad8f6ea7d" +
        "a3c561dfa7281f964463d2cc35a4d1b03490dec51b0711fbd6f55f79234d5b7c" +
        "766622a66de92be996461d5e4dc878ef9bca030521e8351e4baed2fd04f94673" +
        "68c4ad6ac186d08245b263a2666d1f6c5420f1599dfd9f438921c2f5a463938c" +
        "e0982265eef70179bc553f339eb1a4c1af5f6a547f",
    }],
  ];

for (const [name, vectors] of TEST_VECTORS) {
  Deno.test(`arcfour with one mixing loop passes the ${name} vectors`, () => {
    const key = Uint8Array.fromHex(vectors.key);
    const plain = Uint8Array.fromHex(vectors.plain);
    const cipher = Uint8Array.fromHex(vectors.cipher);
    assert.equal(arcfour(key, plain, 1).toHex(), vectors.cipher);
    assert.equal(arcfour(key, cipher, 1).toHex(), vectors.plain);
  });
}

Deno.test("arcfour's 20 mixing loops give another cipher text, which decrypts back", () => {
  const [, { key, plain, cipher }] = TEST_VECTORS[2];
  const keyBytes = Uint8Array.fromHex(key);
  const cipher20 = arcfour(keyBytes, Uint8Array.fromHex(plain));
  assert.notEqual(cipher20.toHex(), cipher);
  assert.equal(arcfour(keyBytes, cipher20).toHex(), plain);
});

Deno.test("sameBytes compares length and every byte", () => {
  const bytes = Uint8Array.of(1, 2, 3);
  assert.ok(sameBytes(bytes, Uint8Array.of(1, 2, 3)));
  assert.ok(!sameBytes(bytes, Uint8Array.of(1, 2, 4)));
  assert.ok(!sameBytes(bytes, Uint8Array.of(1, 2)));
});

Deno.test("arcfour takes an empty text, and refuses a key longer than 256 bytes", () => {
  assert.equal(arcfour(new Uint8Array(256), new Uint8Array()).length, 0);
  assert.throws(
    () => arcfour(new Uint8Array(257), new Uint8Array(1)),
    { name: "RangeError", message: "key of 257 bytes: at most 256 allowed" },
  );
});
