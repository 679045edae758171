/**
 * Unit tests of flags2_common.ts: the expansion of the codes, the command
 * line, the two reports and `saveFlag` (the last in a subprocess, so that
 * this process never changes its working directory).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  expandCcArgs,
  finalReport,
  initialReport,
  newCounter,
  plural,
  POP20_CC,
  processArgs,
} from "../flags2_common.ts";
import { UsageError } from "../lib/cli.ts";
import {
  lines,
  listDir,
  repoPath,
  runDeno,
  tempDir,
  zipGifs,
} from "../testing/harness.ts";

const CC_MESSAGE = "each CC argument must be A to Z or AA to ZZ.";
const A_Z = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const COMMON_URL = new URL("../flags2_common.ts", import.meta.url).href;
const CONFIG = repoPath("deno.json");

/** What `fn` prints with console.log, one string per call. */
function captureLog(fn: () => void): string[] {
  const original = console.log;
  const output: string[] = [];
  console.log = (...data: unknown[]) => {
    output.push(data.map(String).join(" "));
  };
  try {
    fn();
  } finally {
    console.log = original;
  }
  return output;
}

/** Asserts that `promise` rejects with a UsageError whose message matches. */
async function assertUsageError(
  promise: Promise<unknown>,
  message: string | RegExp,
): Promise<void> {
  await assert.rejects(promise, (exc: unknown) => {
    assert.ok(exc instanceof UsageError, `not a UsageError: ${exc}`);
    if (typeof message === "string") assert.equal(exc.message, message);
    else assert.match(exc.message, message);
    return true;
  });
}

// expandCcArgs

Deno.test("expandCcArgs: a letter stands for its 26 codes", async () => {
  const codes = await expandCcArgs(false, false, ["B"], Infinity);
  assert.deepEqual(codes, [...A_Z].map((c) => "B" + c));
});

Deno.test("expandCcArgs: pairs are single codes, sorted", async () => {
  const codes = await expandCcArgs(false, false, ["US", "BR", "CN"], Infinity);
  assert.deepEqual(codes, ["BR", "CN", "US"]);
});

Deno.test("expandCcArgs: any case is upper-cased", async () => {
  const codes = await expandCcArgs(false, false, ["br", "Br", "bR"], Infinity);
  assert.deepEqual(codes, ["BR"]);
  const letter = await expandCcArgs(false, false, ["z"], Infinity);
  assert.equal(letter.length, 26);
  assert.equal(letter[0], "ZA");
});

Deno.test("expandCcArgs: duplicates are removed, letters and pairs mixed", async () => {
  const codes = await expandCcArgs(
    false,
    false,
    ["C", "BR", "cn", "C", "AA", "br"],
    Infinity,
  );
  assert.equal(codes.length, 28);
  assert.deepEqual(codes.slice(0, 3), ["AA", "BR", "CA"]);
  assert.equal(new Set(codes).size, codes.length);
  assert.deepEqual(codes, codes.toSorted());
});

Deno.test("expandCcArgs: -a gives the 194 codes of country_codes.txt", async () => {
  const codes = await expandCcArgs(false, true, [], Infinity);
  assert.equal(codes.length, 194);
  assert.equal(codes[0], "AD");
  assert.equal(codes.at(-1), "ZW");
  assert.deepEqual(codes, codes.toSorted());
  const file = await Deno.readTextFile(
    new URL("../country_codes.txt", import.meta.url),
  );
  assert.deepEqual(codes, file.split(/\s+/).filter(Boolean).sort());
});

Deno.test("expandCcArgs: -e gives the 676 codes AA to ZZ", async () => {
  const codes = await expandCcArgs(true, false, [], Infinity);
  assert.equal(codes.length, 676);
  assert.equal(codes[0], "AA");
  assert.equal(codes[1], "AB");
  assert.equal(codes.at(-1), "ZZ");
  assert.ok(codes.every((cc) => /^[A-Z]{2}$/.test(cc)));
  assert.equal(new Set(codes).size, 676);
});

Deno.test("expandCcArgs: -e wins over -a, which wins over CC arguments", async () => {
  assert.equal((await expandCcArgs(true, true, ["B"], Infinity)).length, 676);
  assert.equal((await expandCcArgs(false, true, ["B"], Infinity)).length, 194);
  // Codes of B that are not countries are absent with -a.
  const all = await expandCcArgs(false, true, ["B"], Infinity);
  assert.ok(!all.includes("BC"));
});

Deno.test("expandCcArgs: limit cuts after sorting", async () => {
  assert.deepEqual(
    await expandCcArgs(false, false, ["ZZ", "C", "AB"], 3),
    ["AB", "CA", "CB"],
  );
  assert.deepEqual(await expandCcArgs(true, false, [], 2), ["AA", "AB"]);
  assert.deepEqual(await expandCcArgs(false, true, [], 1), ["AD"]);
  assert.deepEqual(await expandCcArgs(false, false, ["BR"], 5), ["BR"]);
});

Deno.test("expandCcArgs: bad arguments are usage errors", async () => {
  for (const bad of ["ABC", "1", "é", "B1", "", "-", "A B"]) {
    await assertUsageError(
      expandCcArgs(false, false, ["BR", bad], Infinity),
      CC_MESSAGE,
    );
  }
});

// processArgs

Deno.test("processArgs: no codes gives the POP20, sorted", async () => {
  const [args, codes] = await processArgs(5, []);
  assert.deepEqual(codes, POP20_CC.toSorted());
  assert.equal(codes.length, 20);
  assert.equal(codes[0], "BD");
  assert.equal(codes.at(-1), "VN");
  assert.equal(args.max_req, 5);
  assert.equal(args.server, "LOCAL");
  assert.equal(args.baseUrl, "http://localhost:8001/flags");
  // Flags not given are false, as argparse's store_true makes them.
  assert.deepEqual([args.verbose, args.all, args.every], [false, false, false]);
});

Deno.test("processArgs: -l cuts the POP20 too", async () => {
  const [args, codes] = await processArgs(1, ["-l", "3"]);
  assert.equal(args.limit, 3);
  assert.deepEqual(codes, ["BD", "BR", "CD"]);
});

Deno.test("processArgs: codes, -l, -m and -v", async () => {
  const [args, codes] = await processArgs(30, [
    "-v",
    "--max_req",
    "7",
    "--limit",
    "4",
    "c",
    "BR",
  ]);
  assert.deepEqual(codes, ["BR", "CA", "CB", "CC"]);
  assert.equal(args.max_req, 7);
  assert.equal(args.verbose, true);
});

Deno.test("processArgs: -m defaults to the script's concurrency", async () => {
  for (const concurrency of [1, 5, 30]) {
    const [args] = await processArgs(concurrency, ["BR"]);
    assert.equal(args.max_req, concurrency);
  }
});

Deno.test("processArgs: -s takes a label in any case", async () => {
  const [args] = await processArgs(5, ["-s", "delay", "BR"]);
  assert.equal(args.server, "DELAY");
  assert.equal(args.baseUrl, "http://localhost:8002/flags");
  const [error] = await processArgs(5, ["--server", "Error"]);
  assert.equal(error.server, "ERROR");
  assert.equal(error.baseUrl, "http://localhost:8003/flags");
  const [remote] = await processArgs(5, ["-s", "REMOTE"]);
  assert.equal(remote.baseUrl, "https://www.fluentpython.com/data/flags");
});

Deno.test("processArgs: -s takes a whole URL, labelled CUSTOM", async () => {
  const [args] = await processArgs(5, ["-s", "http://127.0.0.1:9/flags/"]);
  assert.equal(args.server, "CUSTOM");
  assert.equal(args.baseUrl, "http://127.0.0.1:9/flags");
  const [upper] = await processArgs(5, ["-s", "HTTP://127.0.0.1:9/flags//"]);
  assert.equal(upper.baseUrl, "http://127.0.0.1:9/flags");
  const [https] = await processArgs(5, ["-s", "https://example.com/f"]);
  assert.equal(https.server, "CUSTOM");
  assert.equal(https.baseUrl, "https://example.com/f");
});

Deno.test("processArgs: -a and -e", async () => {
  const [all, allCodes] = await processArgs(5, ["-a"]);
  assert.equal(all.all, true);
  assert.equal(allCodes.length, 194);
  const [every, everyCodes] = await processArgs(5, ["--every", "-l", "30"]);
  assert.equal(every.every, true);
  assert.equal(everyCodes.length, 30);
  assert.equal(everyCodes.at(-1), "BD");
});

// processArgs's usage errors exit: lib/cli_test.ts runs them in a script.

// plural

Deno.test("plural: singular for one, plural otherwise", () => {
  assert.equal(plural(1, "flag"), "1 flag");
  assert.equal(plural(0, "flag"), "0 flags");
  assert.equal(plural(2, "flag"), "2 flags");
  assert.equal(plural(676, "error"), "676 errors");
  assert.equal(plural(1, "concurrent connection"), "1 concurrent connection");
});

// initialReport and finalReport

Deno.test("initialReport: more than 10 codes read from FIRST to LAST", () => {
  const codes = Array.from(
    { length: 676 },
    (_, i) => A_Z[Math.floor(i / 26)] + A_Z[i % 26],
  );
  const output = captureLog(() =>
    initialReport(codes, 30, "ERROR", "http://localhost:8003/flags")
  );
  assert.deepEqual(output, [
    "ERROR site: http://localhost:8003/flags",
    "Searching for 676 flags: from AA to ZZ",
    "30 concurrent connections will be used.",
  ]);
  const eleven = captureLog(() =>
    initialReport(codes.slice(0, 11), 5, "LOCAL", "u")
  );
  assert.equal(eleven[1], "Searching for 11 flags: from AA to AK");
});

Deno.test("initialReport: up to 10 codes are joined; singulars", () => {
  const ten = captureLog(() =>
    initialReport(
      ["BA", "BB", "BC", "BD", "BE", "BF", "BG", "BH", "BI", "BJ"],
      5,
      "CUSTOM",
      "http://127.0.0.1:9/flags",
    )
  );
  assert.deepEqual(ten, [
    "CUSTOM site: http://127.0.0.1:9/flags",
    "Searching for 10 flags: BA, BB, BC, BD, BE, BF, BG, BH, BI, BJ",
    "5 concurrent connections will be used.",
  ]);
  const one = captureLog(() => initialReport(["BR"], 1, "LOCAL", "u"));
  assert.deepEqual(one.slice(1), [
    "Searching for 1 flag: BR",
    "1 concurrent connection will be used.",
  ]);
});

Deno.test("finalReport: every line, in order", () => {
  const counter = { OK: 150, NOT_FOUND: 361, ERROR: 165 };
  const output = captureLog(() =>
    finalReport(counter, performance.now() - 1234)
  );
  assert.equal(output.length, 5);
  assert.deepEqual(output.slice(0, 4), [
    "--------------------",
    "150 flags downloaded.",
    "361 not found.",
    "165 errors.",
  ]);
  const elapsed = /^Elapsed time: (\d+\.\d\d)s$/.exec(output[4]);
  assert.ok(elapsed, output[4]);
  assert.ok(Number(elapsed[1]) >= 1.23, output[4]);
});

Deno.test("finalReport: zero counts are left out; singulars", () => {
  const none = captureLog(() => finalReport(newCounter(), performance.now()));
  assert.equal(none.length, 3);
  assert.equal(none[0], "-".repeat(20));
  assert.equal(none[1], "0 flags downloaded.");
  assert.match(none[2], /^Elapsed time: \d+\.\d\ds$/);
  const ones = captureLog(() =>
    finalReport({ OK: 1, NOT_FOUND: 1, ERROR: 1 }, performance.now())
  );
  assert.deepEqual(ones.slice(1, 4), [
    "1 flag downloaded.",
    "1 not found.",
    "1 error.",
  ]);
  const errorsOnly = captureLog(() =>
    finalReport({ OK: 0, NOT_FOUND: 0, ERROR: 2 }, performance.now())
  );
  assert.deepEqual(errorsOnly.slice(1, 3), [
    "0 flags downloaded.",
    "2 errors.",
  ]);
  assert.ok(!errorsOnly.some((line) => line.includes("not found")));
});

// saveFlag, run in a subprocess whose working directory is a temporary one

const SAVE_FLAG = `
import { saveFlag } from "${COMMON_URL}";
const [source, name, makeDir] = Deno.args;
if (makeDir === "mkdir") await Deno.mkdir("downloads");
try {
  saveFlag(await Deno.readFile(source), name);
  console.log("saved");
} catch (exc) {
  console.log("failed:", exc.name);
}
`;

/** Runs saveFlag(bytes of `source`, `name`) from `cwd`; returns its stdout. */
async function saveFlagIn(
  cwd: string,
  source: string,
  name: string,
  makeDir: boolean,
): Promise<string> {
  await using code = await tempDir();
  await Deno.writeTextFile(`${code.path}/save.ts`, SAVE_FLAG);
  const args = [source, name, makeDir ? "mkdir" : ""];
  const { code: status, stdout, stderr } = await runDeno(
    `${code.path}/save.ts`,
    args,
    cwd,
    { permissions: ["-A", "--config", CONFIG] },
  );
  assert.equal(status, 0, stderr);
  return stdout;
}

Deno.test("saveFlag: writes downloads/xx.gif byte for byte, no .part left", async () => {
  await using work = await tempDir();
  await using data = await tempDir();
  const gifs = await zipGifs();
  const br = gifs.get("br.gif")!;
  const source = `${data.path}/br.gif`;
  await Deno.writeFile(source, br);
  assert.deepEqual(
    lines(await saveFlagIn(work.path, source, "br.gif", true)),
    ["saved"],
  );
  assert.deepEqual(await listDir(`${work.path}/downloads`), ["br.gif"]);
  assert.deepEqual(await Deno.readFile(`${work.path}/downloads/br.gif`), br);
  // Saving again replaces the file, still with nothing beside it.
  const us = gifs.get("us.gif")!;
  await Deno.writeFile(source, us);
  assert.deepEqual(
    lines(await saveFlagIn(work.path, source, "br.gif", false)),
    ["saved"],
  );
  assert.deepEqual(await listDir(`${work.path}/downloads`), ["br.gif"]);
  assert.deepEqual(await Deno.readFile(`${work.path}/downloads/br.gif`), us);
});

Deno.test("saveFlag: fails without downloads/ and leaves nothing", async () => {
  await using work = await tempDir();
  await using data = await tempDir();
  const source = `${data.path}/br.gif`;
  await Deno.writeFile(source, (await zipGifs()).get("br.gif")!);
  const output = await saveFlagIn(work.path, source, "br.gif", false);
  assert.match(output, /^failed: /);
  assert.deepEqual(await listDir(work.path), []);
});

Deno.test("saveFlag: a rename that fails leaves no .part behind", async () => {
  await using work = await tempDir();
  await using data = await tempDir();
  const source = `${data.path}/br.gif`;
  await Deno.writeFile(source, (await zipGifs()).get("br.gif")!);
  // A directory where the flag should go: the write works, the rename fails.
  await Deno.mkdir(`${work.path}/downloads/br.gif`, { recursive: true });
  await Deno.writeTextFile(`${work.path}/downloads/br.gif/keep`, "x");
  const output = await saveFlagIn(work.path, source, "br.gif", false);
  assert.match(output, /^failed: /);
  assert.deepEqual(await listDir(`${work.path}/downloads`), ["br.gif"]);
  assert.deepEqual(await listDir(`${work.path}/downloads/br.gif`), ["keep"]);
});
