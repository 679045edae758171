/**
 * What the flags3 scripts and `flags2_asyncio_executor.ts` add to the flags2
 * scripts (`scripts_test.ts` runs them end to end with the others): the
 * country in the file name, the second request and what a server can get
 * wrong in it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer } from "../slow_server.ts";
import {
  assertGoodDownloads,
  FLAGS3,
  lines,
  listDir,
  LOCALHOST,
  runDeno,
  scriptPath,
  settleAll,
  tempDir,
  zipGifs,
} from "../testing/harness.ts";

Deno.test("flags3: the flag saved under its country's name, spaces as _", async () => {
  await using server = await startServer(LOCALHOST);
  await settleAll([...FLAGS3].map(async (script) => {
    await using dir = await tempDir();
    const result = await runDeno(scriptPath(script), [
      "-s",
      server.url,
      "KP",
      "BR",
      "CI",
      "XX",
    ], dir.path);
    const why = `${script}\n${result.stdout}${result.stderr}`;
    assert.equal(result.code, 0, why);
    assert.match(result.stdout, /^3 flags downloaded\.\n1 not found\.$/m, why);
    assert.deepEqual(await assertGoodDownloads(dir.path, script), [
      "Brazil-BR.gif",
      "Côte_d'Ivoire-CI.gif",
      "Korea,_North-KP.gif",
    ], why);
  }));
});

/** What the test server's metadata.json says for each code. */
const METADATA: Record<string, () => Response> = {
  BR: () => Response.json({ iso_cc: "BR", country: "Brazil" }),
  KP: () => new Response("no such file", { status: 404 }),
  CN: () => new Response("", { status: 418 }),
  US: () => new Response("not json"),
  JP: () => Response.json({ iso_cc: "JP" }),
  FR: () => Response.json({ country: "../escape" }),
};

/** A server with every flag of flags.zip but DE's, and `METADATA`; it records the paths asked for. */
async function metadataServer(): Promise<
  AsyncDisposable & { url: string; paths: string[] }
> {
  const gifs = await zipGifs();
  const paths: string[] = [];
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen() {},
  }, (request) => {
    const path = new URL(request.url).pathname;
    paths.push(path);
    const [, cc, file] = /^\/flags\/([a-z]{2})\/(.+)$/.exec(path) ?? [];
    const gif = gifs.get(`${cc}.gif`);
    if (file === "metadata.json" && cc?.toUpperCase() in METADATA) {
      return METADATA[cc.toUpperCase()]();
    }
    if (file === `${cc}.gif` && gif && cc !== "de") {
      return new Response(gif.slice());
    }
    return new Response("not found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/flags`,
    paths,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("flags3: a 404 of either file is not found; a bad metadata.json is an error, saved nowhere", async () => {
  await settleAll([...FLAGS3].map(async (script) => {
    await using server = await metadataServer();
    await using dir = await tempDir();
    const codes = ["BR", "KP", "DE", "CN", "US", "JP", "FR"];
    const result = await runDeno(scriptPath(script), [
      "-v",
      "-s",
      server.url,
      ...codes,
    ], dir.path);
    const why = `${script}\n${result.stdout}${result.stderr}`;
    assert.equal(result.code, 0, why);
    const out = lines(result.stdout);
    const perCode = out.slice(3, out.indexOf("-".repeat(20)))
      .filter((line) => !line.startsWith("The pool created"));
    const byCode = Object.fromEntries(
      perCode.map((line) => [/\b[A-Z]{2}\b/.exec(line)?.[0], line]),
    );
    assert.deepEqual(byCode, {
      BR: "BR OK",
      KP: "KP not found",
      DE: "DE not found",
      CN: "*** Error for CN: HTTP error 418 - I'm a Teapot",
      US: byCode.US,
      JP: "*** Error for JP: No country name for a file in metadata.json: " +
        "undefined",
      FR: "*** Error for FR: No country name for a file in metadata.json: " +
        "../escape",
    }, why);
    assert.match(byCode.US, /^\*\*\* Error for US: .*JSON/, why);
    assert.deepEqual(out.slice(-4, -1), [
      "1 flag downloaded.",
      "2 not found.",
      "4 errors.",
    ], why);
    assert.deepEqual(await listDir(dir.path), ["downloads"], why);
    assert.deepEqual(
      await assertGoodDownloads(dir.path, script),
      ["Brazil-BR.gif"],
      why,
    );
    // The flag first, as in the book: no metadata.json for a flag not found.
    assert.ok(server.paths.includes("/flags/kp/metadata.json"), why);
    assert.ok(!server.paths.includes("/flags/de/metadata.json"), why);
  }));
});
