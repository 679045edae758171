/**
 * End-to-end tests of the second edition's primes example:
 * `primes/primes.ts` and `primes/proc_pool.ts` run as subprocesses with the
 * least permissions each pool needs, on processes, on Workers and on the
 * main thread.
 *
 * @module
 */

import assert from "node:assert/strict";
import { NUMBERS, PRIME_FIXTURE } from "../primes/primes.ts";
import { lines, repoPath, runDeno } from "../testing/harness.ts";

/** The path of `primes/{file}`. */
const primesPath = (file: string) => repoPath(`primes/${file}`);

Deno.test("primes.ts prints every number of the fixture with its answer, with no permission", async () => {
  const { code, stdout, stderr } = await runDeno(
    primesPath("primes.ts"),
    [],
    repoPath(""),
    { permissions: [] },
  );
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.deepEqual(
    lines(stdout),
    PRIME_FIXTURE.map(([n, prime]) => `${n} ${prime}`),
  );
});

/** The 20 lines of proc_pool.ts, largest number first, with P for the primes and a time each. */
function assertAnswers(out: string[]): void {
  const answers = new Map(PRIME_FIXTURE);
  const sorted = NUMBERS.toSorted((a, b) => a < b ? 1 : a > b ? -1 : 0);
  assert.equal(out.length, sorted.length);
  out.forEach((line, i) => {
    const n = sorted[i];
    const label = answers.get(n) ? "P" : " ";
    const number = String(n).padStart(16);
    assert.match(line, /^[ \d]{16} {2}[P ] [ \d]\d+\.\d{6}s$/, line);
    assert.equal(line.slice(0, 19), `${number}  ${label}`, line);
  });
}

// The least permissions of each pool: processes start children, which read the code.
const RUNS: [string, string[], string[], string][] = [
  [
    "processes",
    ["--allow-read", "--allow-run", "--allow-env"],
    ["2"],
    "with 2 processes",
  ],
  ["Workers", ["--allow-read"], ["--threads", "2"], "with 2 threads"],
  ["the main thread", [], ["--plain"], "on the main thread"],
];

for (const [where, permissions, args, heading] of RUNS) {
  Deno.test(`proc_pool.ts ${args.join(" ")} prints every answer right, on ${where}, with ${permissions.join(" ") || "no permission"}`, async () => {
    const { code, stdout, stderr } = await runDeno(
      primesPath("proc_pool.ts"),
      args,
      repoPath(""),
      { permissions },
    );
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const out = lines(stdout);
    assert.equal(out.length, 22, stdout);
    assert.equal(out[0], `Checking 20 numbers ${heading}:`);
    assertAnswers(out.slice(1, 21));
    assert.match(out[21], /^Total time: \d+\.\d\ds$/);
  });
}

Deno.test("proc_pool.ts with no argument says a process per CPU", async () => {
  const { code, stdout } = await runDeno(
    primesPath("proc_pool.ts"),
    [],
    repoPath(""),
  );
  assert.equal(code, 0);
  const out = lines(stdout);
  assert.equal(
    out[0],
    `Checking 20 numbers with ${navigator.hardwareConcurrency} processes:`,
  );
  assertAnswers(out.slice(1, 21));
});
