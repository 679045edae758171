/**
 * Tests of the second edition's primes example: `isPrime` and `isqrt`
 * against every answer of the book's fixture and the edges of squares;
 * `primes/primes.ts` and `primes/proc_pool.ts` run as subprocesses with
 * the least permissions each pool needs, on processes, on Workers and on
 * the main thread, and given bad command lines.
 *
 * @module
 */

import assert from "node:assert/strict";
import { check } from "../primes/proc_pool.ts";
import { isPrime, isqrt, NUMBERS, PRIME_FIXTURE } from "../primes/primes.ts";
import { decode, lines, repoPath } from "../testing/harness.ts";
import { denoCommand } from "../testing/process.ts";

/** Runs `deno run PERMISSIONS primes/SCRIPT ...args` from the repository's root. */
async function run(permissions: string[], script: string, ...args: string[]) {
  const { code, stdout, stderr } = await denoCommand(
    ["run", repoPath(`primes/${script}`), ...args],
    { permissions, cwd: repoPath(".") },
  ).output();
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

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

Deno.test("check returns the number, the answer and a time in seconds", () => {
  const { n, prime, elapsed } = check(142702110479723n);
  assert.equal(n, 142702110479723n);
  assert.equal(prime, true);
  assert.ok(elapsed > 0 && elapsed < 60, String(elapsed));
});

Deno.test("primes.ts prints every number of the fixture with its answer, with no permission", async () => {
  const { code, stdout, stderr } = await run([], "primes.ts");
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
    const { code, stdout, stderr } = await run(
      permissions,
      "proc_pool.ts",
      ...args,
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
  const { code, stdout } = await run(["-A"], "proc_pool.ts");
  assert.equal(code, 0);
  const out = lines(stdout);
  assert.equal(
    out[0],
    `Checking 20 numbers with ${navigator.hardwareConcurrency} processes:`,
  );
  assertAnswers(out.slice(1, 21));
});

const BAD_ARGS: [string[], string][] = [
  [["0"], "argument WORKERS: invalid positive int value: '0'"],
  [["--plain", "2"], "--plain runs on the main thread: no WORKERS"],
  [["--scale", "2"], "unrecognized arguments: --scale"],
];

Deno.test("proc_pool.ts refuses a bad command line: the error, its usage line, status 2", async () => {
  for (const [args, message] of BAD_ARGS) {
    const { code, stdout, stderr } = await run([], "proc_pool.ts", ...args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `*** Usage error: ${message}\n` +
        "usage: proc_pool.ts [-h] [--threads | --plain] [WORKERS]\n",
    );
  }
});

Deno.test("proc_pool.ts -h describes the primes, without --scale", async () => {
  const { code, stdout } = await run([], "proc_pool.ts", "-h");
  assert.equal(code, 0);
  assert.match(
    stdout,
    /^usage: proc_pool.ts \[-h\] \[--threads \| --plain\] \[WORKERS\]\n\nCheck 20 numbers for primality on a pool of processes\.\n/,
  );
  assert.doesNotMatch(stdout, /--scale/);
});

Deno.test("proc_pool.ts on processes without --allow-run: one line naming the permission, status 1", async () => {
  const { code, stdout, stderr } = await run(
    ["--allow-read", "--allow-env"],
    "proc_pool.ts",
    "2",
  );
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.match(stderr, /^\*\*\* Missing permission: .*--allow-run.*\n$/);
});
