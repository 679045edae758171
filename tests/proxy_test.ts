/**
 * Behind an HTTP proxy (`HTTP_PROXY`), which Deno's fetch sends loopback
 * requests to as well unless `NO_PROXY` names them: a real proxy process
 * on loopback (`fixtures/gateway_proxy.ts`) counts what reaches it. With
 * env access the scripts keep loopback off it, in every thread; without,
 * a run that fails says why and what to set, and setting it works.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer } from "../slow_server.ts";
import {
  assertGoodDownloads,
  describe,
  freePort,
  LEAST_PERMISSIONS,
  lines,
  LOCALHOST,
  repoPath,
  runDeno,
  settleAll,
  tempDir,
} from "../testing/harness.ts";
import { denoCommand } from "../testing/process.ts";

/** The gateway proxy, running, and what it received so far. */
interface Proxy extends AsyncDisposable {
  /** Its URL, for HTTP_PROXY. */
  url: string;
  /** The URLs it was asked for. */
  received: string[];
}

/** Starts `fixtures/gateway_proxy.ts` in a process of its own. */
async function startProxy(): Promise<Proxy> {
  const child = denoCommand(
    ["run", repoPath("tests/fixtures/gateway_proxy.ts")],
    { permissions: ["--allow-net=127.0.0.1"], stderr: "inherit" },
  ).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  const received: string[] = [];
  let text = "";
  let port: string | undefined;
  const reading = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += r.value;
      const done = text.split("\n");
      text = done.pop()!;
      for (const line of done) port ? received.push(line) : port = line;
    }
  })();
  while (!port) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async [Symbol.asyncDispose]() {
      child.kill();
      await child.status;
      await reading;
    },
  };
}

/** flags.ts's kin and the flags2 scripts that fetch in Workers or not. */
const DOWNLOADERS = [
  "flags.ts",
  "flags_threadpool.ts",
  "flags2_sequential.ts",
  "flags2_threadpool.ts",
  "flags2_asyncio.ts",
];

/** What a least-permission run prints when the proxy fails it. */
const HINT = (url: string) =>
  `*** A server answers at ${url}, but fetch's requests go to an HTTP ` +
  "proxy (HTTP_PROXY or ALL_PROXY), which fails: set " +
  "NO_PROXY=localhost,127.0.0.0/8,::1, or grant --allow-env, with which " +
  "the script keeps loopback off the proxy.";

Deno.test("behind HTTP_PROXY, with env access: loopback kept off the proxy in every thread, nothing reaches it", async () => {
  await using proxy = await startProxy();
  await using server = await startServer(LOCALHOST);
  await settleAll(DOWNLOADERS.map(async (script) => {
    await using dir = await tempDir();
    // LOCAL moved to the server: the label, not a URL of one's own.
    const env = {
      HTTP_PROXY: proxy.url,
      NO_PROXY: "example.com", // the user's own, kept
      FLAGS2_LOCAL_URL: server.url,
    };
    const result = await runDeno(repoPath(script), [], dir.path, { env });
    const why = describe(script, result);
    assert.equal(result.code, 0, why);
    assert.equal((await assertGoodDownloads(dir.path)).length, 20, why);
  }));
  assert.deepEqual(proxy.received, []);
});

Deno.test("behind a failing HTTP_PROXY, without env access: the run says why and what to set; with NO_PROXY so set, it downloads", async () => {
  await using proxy = await startProxy();
  await using server = await startServer({
    ...LOCALHOST,
    hostname: "localhost",
  });
  // The least permissions, and LOCAL moved: env access to that one only.
  const permissions = [...LEAST_PERMISSIONS, "--allow-env=FLAGS2_LOCAL_URL"];
  const run = async (script: string, env: Record<string, string>) => {
    await using dir = await tempDir();
    const args = script === "flags.ts" ? [] : ["BR", "CN"];
    const result = await runDeno(repoPath(script), args, dir.path, {
      permissions,
      env: { FLAGS2_LOCAL_URL: server.url, ...env },
    });
    return { ...result, saved: await assertGoodDownloads(dir.path) };
  };
  // A proxy that answers 502 Bad Gateway: two downloads, and the hint's HEAD.
  const answering = await run("flags2_sequential.ts", {
    HTTP_PROXY: proxy.url,
  });
  let why = describe("502", answering);
  assert.equal(answering.code, 0, why);
  assert.match(answering.stdout, /^0 flags downloaded\.\n2 errors\.$/m, why);
  assert.deepEqual(lines(answering.stderr), [HINT(server.url)], why);
  assert.equal(proxy.received.length, 3, why);
  assert.ok(proxy.received.every((url) => url.startsWith(server.url)), why);
  // A proxy that refuses connections; flags.ts stops at its first failure.
  const refusing = await run("flags.ts", {
    HTTP_PROXY: `http://127.0.0.1:${freePort()}`,
  });
  why = describe("refused", refusing);
  assert.equal(refusing.code, 1, why);
  assert.deepEqual(lines(refusing.stderr), [
    `*** Download from ${server.url} failed: Connection error`,
    HINT(server.url),
  ], why);
  // NO_PROXY as the hint says: every request goes to the server.
  const set = await run("flags2_threadpool.ts", {
    HTTP_PROXY: proxy.url,
    NO_PROXY: "localhost,127.0.0.0/8,::1",
  });
  why = describe("NO_PROXY", set);
  assert.equal(set.code, 0, why);
  assert.deepEqual(set.saved, ["br.gif", "cn.gif"], why);
  assert.equal(proxy.received.length, 3, why);
});
