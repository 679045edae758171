/**
 * End-to-end tests of `crypto/`'s scripts, `arcfour.ts`, `sha_futures.ts`
 * and `arcfour_futures.ts`, run as subprocesses: on processes, on Workers
 * and on the main thread, with the least permissions each needs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { lines, repoPath, runDeno } from "../testing/harness.ts";

/** The path of `crypto/{file}`. */
const cryptoPath = (file: string) => repoPath(`crypto/${file}`);

Deno.test("arcfour.ts times 1 MB encrypted, then decrypted, and says OK", async () => {
  const { code, stdout, stderr } = await runDeno(
    cryptoPath("arcfour.ts"),
    [],
    repoPath(""),
  );
  assert.equal(stderr, "");
  assert.equal(code, 0);
  const out = lines(stdout);
  assert.equal(out.length, 3, stdout);
  assert.match(out[0], /^elapsed time: \d+\.\d\ds$/);
  assert.match(out[1], /^elapsed time: \d+\.\d\ds$/);
  assert.equal(out[2], "OK");
});

/** The sizes arcfour_futures.ts prints, as the book computes them. */
const ARCFOUR_SIZES = [
  "384.0 KB",
  "362.7 KB",
  "341.3 KB",
  "320.0 KB",
  "298.7 KB",
  "277.3 KB",
  "256.0 KB",
  "234.7 KB",
  "213.3 KB",
  "192.0 KB",
  "170.7 KB",
  "149.3 KB",
];

/** Asserts 12 job lines (checked by `job`), then `N workers, elapsed time: 1.23s`; returns the job lines. */
function assertJobsThenStatus(
  stdout: string,
  workers: number,
  job: RegExp,
): string[] {
  const out = lines(stdout);
  assert.equal(out.length, 13, stdout);
  for (const line of out.slice(0, 12)) assert.match(line, job);
  assert.match(
    out[12],
    new RegExp(`^${workers} workers, elapsed time: \\d+\\.\\d\\ds$`),
  );
  return out.slice(0, 12);
}

for (
  const [args, workers] of [[["2"], 2], [["--threads", "2"], 2], [
    ["--plain"],
    0,
  ]] as const
) {
  Deno.test(`sha_futures.ts ${args.join(" ")}: 12 digests, then ${workers} workers and the time`, async () => {
    const { code, stdout, stderr } = await runDeno(
      cryptoPath("sha_futures.ts"),
      [...args],
      repoPath(""),
    );
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const digests = assertJobsThenStatus(stdout, workers, /^[0-9a-f]{64}$/);
    assert.equal(new Set(digests).size, 12, "the same random bytes twice");
  });

  Deno.test(`arcfour_futures.ts ${args.join(" ")}: the 12 sizes, then ${workers} workers and the time`, async () => {
    const { code, stdout, stderr } = await runDeno(
      cryptoPath("arcfour_futures.ts"),
      [...args],
      repoPath(""),
    );
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const sizes = assertJobsThenStatus(stdout, workers, /^\d+\.\d KB$/);
    assert.deepEqual(sizes.toSorted(), ARCFOUR_SIZES.toSorted());
  });
}

Deno.test("arcfour_futures.ts --scale 2 --threads 2: each job twice the book's size", async () => {
  const { code, stdout } = await runDeno(
    cryptoPath("arcfour_futures.ts"),
    ["--scale", "2", "--threads", "2"],
    repoPath(""),
  );
  assert.equal(code, 0);
  const sizes = assertJobsThenStatus(stdout, 2, /^\d+\.\d KB$/);
  assert.deepEqual(sizes.toSorted(), [
    "298.7 KB",
    "341.3 KB",
    "384.0 KB",
    "426.7 KB",
    "469.3 KB",
    "512.0 KB",
    "554.7 KB",
    "597.3 KB",
    "640.0 KB",
    "682.7 KB",
    "725.3 KB",
    "768.0 KB",
  ]);
});

Deno.test("sha_futures.ts with no argument starts a process per CPU, at most", async () => {
  const { code, stdout } = await runDeno(
    cryptoPath("sha_futures.ts"),
    [],
    repoPath(""),
  );
  assert.equal(code, 0);
  const cpus = Math.min(navigator.hardwareConcurrency, 12);
  assertJobsThenStatus(stdout, cpus, /^[0-9a-f]{64}$/);
});

Deno.test("least permissions: --plain none, --threads read, processes read, run and env", async () => {
  const runs: [string[], string[], number][] = [
    [[], ["--plain"], 0],
    [["--allow-read"], ["--threads", "2"], 2],
    [["--allow-read", "--allow-run", "--allow-env"], ["2"], 2],
    // The children may read the folder of the code, as the parent may.
    [[`--allow-read=${repoPath("")}`, "--allow-run", "--allow-env"], ["2"], 2],
  ];
  for (const [permissions, args, workers] of runs) {
    const { code, stdout } = await runDeno(
      cryptoPath("sha_futures.ts"),
      args,
      repoPath(""),
      { permissions },
    );
    assert.equal(code, 0, `${permissions.join(" ")} ${args.join(" ")}`);
    assertJobsThenStatus(stdout, workers, /^[0-9a-f]{64}$/);
  }
});
