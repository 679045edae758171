/**
 * End-to-end tests of the chapter's first scripts (`flags.ts`,
 * `flags_threadpool.ts`, `flags_asyncio.ts`, `flags_threadpool_ac.ts`) and
 * of `demo_executor_map.ts`, run as a reader runs them: `deno run -A SCRIPT
 * -s URL` from a fresh temporary directory, against a real slow_server.ts
 * server on 127.0.0.1, and Ctrl-C in a terminal; and of how a `Future`
 * prints, which Example 17-4 shows.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer } from "../slow_server.ts";
import { POP20_CC } from "../flags2_common.ts";
import { ThreadPoolExecutor } from "../futures.ts";
import { fail, identity, sleep } from "./fixtures/tasks.ts";
import {
  assertGoodDownloads,
  describe,
  LEAST_PERMISSIONS,
  lines,
  listDir,
  LOCALHOST,
  repoPath,
  runDeno,
  settleAll,
  tempDir,
} from "../testing/harness.ts";
import { denoArgv } from "../testing/process.ts";
import { runInTerminal } from "../testing/terminal.ts";

const DOWNLOADERS = ["flags.ts", "flags_threadpool.ts", "flags_asyncio.ts"];
const LAST_LINE = /^20 flags downloaded in \d+\.\d\ds$/;
const POP20_GIFS = POP20_CC.map((cc) => `${cc.toLowerCase()}.gif`).sort();

Deno.test("flags, flags_threadpool, flags_asyncio: 20 codes on one line, 20 flags byte for byte, the count and time", async () => {
  await using server = await startServer(LOCALHOST);
  await settleAll(
    DOWNLOADERS.map(async (script) => {
      await using dir = await tempDir();
      const args = ["-s", server.url];
      const result = await runDeno(repoPath(script), args, dir.path);
      const why = describe(script, result);
      assert.equal(result.code, 0, why);
      assert.equal(result.stderr, "", why);
      const [codes, last, ...more] = lines(result.stdout);
      assert.deepEqual(more, [], why);
      const shown = codes.trimEnd().split(" ");
      if (script === "flags.ts") assert.deepEqual(shown, POP20_CC.toSorted());
      else assert.deepEqual(shown.toSorted(), POP20_CC.toSorted(), why);
      assert.match(last, LAST_LINE, why);
      assert.deepEqual(await assertGoodDownloads(dir.path), POP20_GIFS, why);
    }),
  );
});

Deno.test("least permissions: flags, flags_threadpool, flags_asyncio, flags_threadpool_ac download with net to localhost, read, write to downloads/", async () => {
  await using server = await startServer(LOCALHOST);
  const url = server.url.replace("//127.0.0.1:", "//localhost:");
  const scripts = [...DOWNLOADERS, "flags_threadpool_ac.ts"];
  await settleAll(scripts.map(async (script) => {
    await using dir = await tempDir();
    // No --allow-env: the Workers get the base URL from their initializer.
    const result = await runDeno(repoPath(script), ["-s", url], dir.path, {
      permissions: LEAST_PERMISSIONS,
    });
    const why = describe(script, result);
    assert.equal(result.code, 0, why);
    assert.equal(result.stderr, "", why);
    const saved = await assertGoodDownloads(dir.path);
    assert.equal(
      saved.length,
      script === "flags_threadpool_ac.ts" ? 5 : 20,
      why,
    );
  }));
});

/**
 * A server that answers its first request with a flag and holds every
 * later one until it is disposed of: a run shows one code, then waits for
 * Ctrl-C, however slow the machine.
 */
function firstFlagOnly(): AsyncDisposable & { url: string } {
  let answered = false;
  const { promise: released, resolve: release } = Promise.withResolvers();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => {
      if (answered) {
        await released;
        return new Response(null, { status: 503 });
      }
      answered = true;
      return new Response("GIF89a, the first flag");
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/flags`,
    async [Symbol.asyncDispose]() {
      release(undefined);
      await server.shutdown();
    },
  };
}

Deno.test("in a terminal, Ctrl-C during flags, flags_threadpool, flags_asyncio ends the line of codes, exit 130", async () => {
  await settleAll(DOWNLOADERS.map(async (script) => {
    await using server = firstFlagOnly();
    await using dir = await tempDir();
    const argv = denoArgv(["run", repoPath(script), "-s", server.url], ["-A"]);
    const { code, screen, typed } = await runInTerminal(argv, {
      cwd: dir.path,
      type: { when: /[A-Z]{2} $/, keys: "\x03" }, // the code shown
    });
    const why = `${script}: exit ${code}\n${JSON.stringify(screen)}`;
    assert.ok(typed, why);
    assert.equal(code, 130, why);
    // The terminal echoes ^C; then the script's newline, as \r\n.
    assert.match(screen, /[A-Z]{2} (?:\^C)?\r\n$/, why);
  }));
});

Deno.test("an error status stops the run: one line naming it, exit 1", async () => {
  await using server = await startServer(LOCALHOST);
  const url = `${server.url}/nowhere`;
  await settleAll(
    DOWNLOADERS.map(async (script) => {
      await using dir = await tempDir();
      const result = await runDeno(
        repoPath(script),
        ["-s", `${url}/`],
        dir.path,
      );
      const why = describe(script, result);
      assert.equal(result.code, 1, why);
      assert.deepEqual(lines(result.stderr).length, 1, why);
      assert.match(
        result.stderr,
        /^\*\*\* Download from \S+\/nowhere failed: HTTP error 404 - Not Found\n$/,
        why,
      );
      assert.deepEqual(await listDir(`${dir.path}/downloads`), [], why);
    }),
  );
});

Deno.test("downloads/ cannot be made: one line, exit 1, no download tried", async () => {
  await using server = await startServer(LOCALHOST);
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/downloads`, "a file, not a folder");
  const result = await runDeno(
    repoPath("flags.ts"),
    ["-s", server.url],
    dir.path,
  );
  const why = describe("flags.ts", result);
  assert.equal(result.code, 1, why);
  assert.equal(result.stdout, "", why);
  const [line, ...more] = lines(result.stderr);
  assert.deepEqual(more, [], why);
  assert.match(line, /^\*\*\* Cannot write to downloads\/?: /, why);
  assert.equal(server.peak(), 0, why);
});

Deno.test("demo_executor_map: results in order, loiters start in order, result 3 before loiter(4) is done, stamped lines, loiters overlap", async () => {
  await using dir = await tempDir();
  const t0 = performance.now();
  const result = await runDeno(repoPath("demo_executor_map.ts"), [], dir.path);
  const elapsed = (performance.now() - t0) / 1000;
  const why = describe("demo_executor_map.ts", result);
  assert.equal(result.code, 0, why);
  assert.equal(result.stderr, "", why);
  const out = lines(result.stdout);
  for (const line of out) assert.match(line, /^\[\d\d:\d\d:\d\d\] /, why);
  const text = out.map((line) => line.slice(11));
  assert.equal(text[0], "Script starting.", why);
  assert.ok(
    text.indexOf("results: Object [AsyncGenerator] {}") <
      text.indexOf("Waiting for individual results:"),
    why,
  );
  const results = text.filter((line) => line.startsWith("result "));
  assert.deepEqual(
    results,
    [0, 1, 2, 3, 4].map((i) => `result ${i}: ${i * 10}`),
  );
  let previous = -1;
  for (let n = 0; n < 5; n++) {
    const tabs = "\t".repeat(n);
    const start = text.indexOf(
      `${tabs}loiter(${n}): doing nothing for ${n}s...`,
    );
    const done = text.indexOf(`${tabs}loiter(${n}): done.`);
    assert.ok(start >= 0 && start < done, `loiter(${n})\n${why}`);
    assert.ok(start > previous, `loiter(${n}) started out of order\n${why}`);
    previous = start;
  }
  assert.ok(
    text.indexOf("result 3: 30") < text.indexOf("\t\t\t\tloiter(4): done."),
    why,
  );
  // Three Workers loiter at once, as the book's three threads do.
  assert.ok(
    text.indexOf("\t\t\tloiter(3): doing nothing for 3s...") <
      text.indexOf("\tloiter(1): done."),
    why,
  );
  assert.equal(out.length, 1 + 2 + 10 + 5, why);
  assert.ok(elapsed < 7, `${elapsed.toFixed(2)}s\n${why}`);
});

const FUTURE = "<Future at (0x[0-9a-f]+) state=([^>]+)>";

Deno.test("flags_threadpool_ac: 5 futures scheduled, some pending, 5 results as completed, 5 flags saved", async () => {
  await using server = await startServer(LOCALHOST);
  await using dir = await tempDir();
  const result = await runDeno(
    repoPath("flags_threadpool_ac.ts"),
    ["-s", server.url],
    dir.path,
  );
  const why = describe("flags_threadpool_ac.ts", result);
  assert.equal(result.code, 0, why);
  assert.equal(result.stderr, "", why);
  const out = lines(result.stdout);
  const first5 = POP20_CC.slice(0, 5).sort();
  const scheduled = new Map<string, string>(); // future's address -> code
  const states = out.slice(0, 5).map((line, i) => {
    const match = new RegExp(`^Scheduled for ([A-Z]{2}): ${FUTURE}$`)
      .exec(line);
    assert.ok(match, `line ${i}: ${line}\n${why}`);
    const [, cc, address, state] = match;
    assert.equal(cc, first5[i], why);
    scheduled.set(address, cc);
    return state;
  });
  assert.ok(states.every((s) => s === "pending" || s === "running"), why);
  assert.ok(states.includes("pending"), why);
  const shown: string[] = [];
  const results = out.slice(5, 10).map((line, i) => {
    const match = new RegExp(
      `^((?:[A-Z]{2} )*)${FUTURE} result: '([A-Z]{2})'$`,
    ).exec(line);
    assert.ok(match, `line ${5 + i}: ${line}\n${why}`);
    const [, codes, address, state, res] = match;
    shown.push(...codes.split(" ").filter(Boolean));
    assert.equal(state, "finished returned string", why);
    assert.equal(scheduled.get(address), res, why);
    return res;
  });
  assert.deepEqual(results.toSorted(), first5, why);
  assert.deepEqual(shown.toSorted(), first5, why);
  assert.deepEqual(out.slice(10, 11), [""], why);
  assert.match(out[11], /^5 flags downloaded in \d+\.\d\ds$/, why);
  assert.equal(out.length, 12, why);
  assert.deepEqual(
    await assertGoodDownloads(dir.path),
    first5.map((cc) => `${cc.toLowerCase()}.gif`),
    why,
  );
});

Deno.test("a Future prints its state as Python's repr does", async () => {
  const tasks = new URL("./fixtures/tasks.ts", import.meta.url);
  await using executor = new ThreadPoolExecutor(1, tasks);
  const state = (future: unknown) => {
    const match = new RegExp(`^${FUTURE}$`).exec(Deno.inspect(future));
    assert.ok(match, Deno.inspect(future));
    return match[2];
  };
  const slow = executor.submit(sleep, 300);
  const queued = executor.submit(identity, "BR");
  const dropped = executor.submit(identity, "CN");
  const failing = executor.submit(fail, "I'm a Teapot", 418);
  assert.equal(state(slow), "running");
  assert.equal(state(queued), "pending");
  assert.ok(dropped.cancel());
  assert.equal(state(dropped), "cancelled");
  assert.equal(await queued.result(), "BR");
  assert.equal(state(queued), "finished returned string");
  await assert.rejects(failing.result(), { name: "HTTPStatusError" });
  assert.equal(state(failing), "finished raised HTTPStatusError");
  assert.equal(state(slow), "finished returned number");
});
