/**
 * Unit tests of `lib/files.ts` in real temporary folders.
 *
 * @module
 */

import assert from "node:assert/strict";
import { writeFileWholeAsync } from "./files.ts";
import { listDir, tempDir } from "../testing/harness.ts";

const BR = new TextEncoder().encode("GIF89a, the flag of BR");
const US = new TextEncoder().encode("GIF89a, the flag of US, a longer one");

Deno.test("writeFileWholeAsync: the bytes, whole, nothing beside them; a failure leaves nothing", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/br.gif`;
  await writeFileWholeAsync(path, BR);
  await writeFileWholeAsync(path, US);
  assert.deepEqual(await listDir(dir.path), ["br.gif"]);
  assert.deepEqual(await Deno.readFile(path), US);
  // No folder: nothing is made.
  await assert.rejects(
    writeFileWholeAsync(`${dir.path}/none/br.gif`, BR),
    Deno.errors.NotFound,
  );
  // A folder where the file goes: the write works, the rename fails.
  await Deno.mkdir(`${dir.path}/cn.gif`);
  await assert.rejects(
    writeFileWholeAsync(`${dir.path}/cn.gif`, US),
  );
  assert.deepEqual(await listDir(dir.path), ["br.gif", "cn.gif"]);
  assert.deepEqual(await listDir(`${dir.path}/cn.gif`), []);
});
