/**
 * What goes wrong and what the scripts say of it. A server that answers
 * without end, or says it will send gigabytes: each download script stops
 * reading past 1 MiB, counts an error, and its peak memory stays that of a
 * normal run. A flag that cannot be written, named by its own file. The
 * kind of each error in the `--trace` records.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MAX_BODY } from "../lib/http.ts";
import { measure } from "../bench/runs.ts";
import { denoArgv } from "../testing/process.ts";
import {
  FLAGS3,
  freePort,
  lines,
  listDir,
  repoPath,
  runDeno,
  SCRIPT_NAMES,
  type ScriptName,
  scriptPath,
  settleAll,
  tempDir,
} from "../testing/harness.ts";

const TOO_LARGE = "Response too large (over 1 MiB)";
const GIF = new TextEncoder().encode("GIF89a, a small flag");
const CHUNK = 64 * 1024;

/**
 * A server of flags where every file of `endless` has no end, those of
 * `declared` say they are 1 GiB and send nothing, those of `hz` never come,
 * those of `te` are a 418; every other code has a small gif and a
 * `metadata.json` naming the country `{CC}land`. It counts the bytes of the
 * endless answers it sent.
 */
function startTroubleServer(endless = "cc", declared = "dd") {
  let endlessBytes = 0;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (request) => {
      const [, , cc, file] = new URL(request.url).pathname.split("/");
      if (cc === endless) {
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            endlessBytes += CHUNK;
            controller.enqueue(new Uint8Array(CHUNK));
          },
        });
        return new Response(body, { headers: { "content-type": "image/gif" } });
      }
      if (cc === declared) {
        const never = new ReadableStream({ pull: () => new Promise(() => {}) });
        return new Response(never, {
          headers: { "content-length": String(1024 ** 3) },
        });
      }
      if (cc === "hz") {
        return new Promise<Response>((resolve) =>
          request.signal.addEventListener(
            "abort",
            () => resolve(new Response()),
          )
        );
      }
      if (cc === "te") return new Response(null, { status: 418 });
      if (file === "metadata.json") {
        return Response.json({ country: `${cc.toUpperCase()}land` });
      }
      return new Response(GIF);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/flags`,
    endlessBytes: () => endlessBytes,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** The file `script` saves the flag of `cc` of the trouble server as: `zw.gif`, or flags3's `ZWland-ZW.gif`. */
function troubleName(script: ScriptName, cc: string): string {
  return FLAGS3.has(script) ? `${cc}land-${cc}.gif` : `${cc.toLowerCase()}.gif`;
}

/** Well above a normal run (50-95 MiB), below what reading to the timeout took (0.5-0.6 GiB). */
const PEAK_LIMIT_KIB = 250 * 1024;

Deno.test("an endless body and a declared 1 GiB: ERROR Response too large, the rest unread, peak memory bounded (every script)", async () => {
  await using server = startTroubleServer();
  await settleAll(SCRIPT_NAMES.map(async (name) => {
    await using dir = await tempDir();
    const args = ["-v", "-s", server.url, "AA", "BB", "CC", "DD", "EE"];
    const run = await measure(
      denoArgv(["run", scriptPath(name), ...args], ["-A"]),
      { cwd: dir.path, signal: AbortSignal.timeout(60_000) },
    );
    const why = `${name}: exit ${run.code}, peak ${run.memoryKiB} KiB\n` +
      `${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 0, why);
    for (const cc of ["CC", "DD"]) {
      assert.ok(
        lines(run.stdout).includes(`*** Error for ${cc}: ${TOO_LARGE}`),
        why,
      );
    }
    assert.match(run.stdout, /^3 flags downloaded\.$/m, why);
    assert.match(run.stdout, /^2 errors\.$/m, why);
    assert.deepEqual(
      await listDir(`${dir.path}/downloads`),
      ["AA", "BB", "EE"].map((cc) => troubleName(name, cc)),
      why,
    );
    assert.ok(run.memoryKiB > 0 && run.memoryKiB < PEAK_LIMIT_KIB, why);
  }));
  // What the scripts read, and what sat in the sockets' buffers: megabytes,
  // not the gigabytes of reading to the timeout.
  assert.ok(
    server.endlessBytes() < SCRIPT_NAMES.length * 32 * MAX_BODY,
    `${server.endlessBytes()} bytes sent`,
  );
});

Deno.test("flags.ts: an endless body ends the run with one line, exit 1", async () => {
  await using server = startTroubleServer("cn");
  await using dir = await tempDir();
  const run = await measure(
    denoArgv(["run", repoPath("flags.ts"), "-s", server.url], ["-A"]),
    { cwd: dir.path, signal: AbortSignal.timeout(60_000) },
  );
  const why =
    `exit ${run.code}, peak ${run.memoryKiB} KiB\n${run.stdout}\n${run.stderr}`;
  assert.equal(run.code, 1, why);
  assert.ok(run.stderr.includes(`failed: ${TOO_LARGE}`), why);
  assert.ok(run.memoryKiB < PEAK_LIMIT_KIB, why);
});

Deno.test("a flag that cannot be written: the error names downloads/zw.gif, not the hidden temporary", async () => {
  await using server = startTroubleServer();
  await settleAll(SCRIPT_NAMES.map(async (name) => {
    await using dir = await tempDir();
    // A folder where the flag goes: the rename of the finished file fails.
    const file = troubleName(name, "ZW");
    await Deno.mkdir(`${dir.path}/downloads/${file}`, { recursive: true });
    await Deno.writeTextFile(`${dir.path}/downloads/${file}/keep`, "");
    const run = await runDeno(
      scriptPath(name),
      ["-v", "-s", server.url, "ZW"],
      dir.path,
    );
    const why = `${name}: exit ${run.code}\n${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 0, why);
    const errors = lines(run.stdout).filter((l) => l.startsWith("***"));
    assert.equal(errors.length, 1, why);
    const prefix = `*** Error for ZW: Cannot write to downloads/${file}: `;
    assert.ok(errors[0].startsWith(prefix), why);
    assert.match(errors[0].slice(prefix.length), /^\S.*\(os error \d+\)$/, why);
    assert.deepEqual(await listDir(`${dir.path}/downloads`), [file], why);
  }));
});

/** The outcome of each code in a `--trace` file. */
async function traceOutcomes(path: string): Promise<Record<string, unknown>> {
  const records = lines(await Deno.readTextFile(path)).map((l) =>
    JSON.parse(l)
  );
  return Object.fromEntries(records.map(({ cc, outcome }) => [cc, outcome]));
}

Deno.test("--trace: an error's record says timeout, connection error, response too large, or the HTTP status", async () => {
  await using server = startTroubleServer();
  const nobody = `http://127.0.0.1:${freePort()}/flags`;
  await settleAll(SCRIPT_NAMES.map(async (name) => {
    await using dir = await tempDir();
    const trace = ["--trace", "t.jsonl"];
    const codes = ["AA", "TE", "CC", "DD", "HZ"];
    const run = await runDeno(scriptPath(name), [
      ...trace,
      "-s",
      server.url,
      ...codes,
    ], dir.path);
    const why = `${name}: exit ${run.code}\n${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 0, why);
    assert.deepEqual(await traceOutcomes(`${dir.path}/t.jsonl`), {
      AA: 200,
      TE: 418,
      CC: "response too large",
      DD: "response too large",
      HZ: "timeout",
    }, why);
    await Deno.remove(`${dir.path}/t.jsonl`);
    const refused = await runDeno(scriptPath(name), [
      ...trace,
      "-s",
      nobody,
      "BR",
    ], dir.path);
    assert.deepEqual(
      await traceOutcomes(`${dir.path}/t.jsonl`),
      { BR: "connection error" },
      `${name}: exit ${refused.code}\n${refused.stdout}\n${refused.stderr}`,
    );
  }));
});
