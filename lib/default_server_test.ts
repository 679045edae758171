/**
 * Unit tests of `default_server.ts`: which labels and addresses a script
 * serves itself, and the server it starts, on free ports of localhost.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer } from "../slow_server.ts";
import { defaultAddress, startDefaultServer } from "./default_server.ts";

/** A port of localhost where nothing listens (it did a moment ago). */
function freeUrl(): string {
  const listener = Deno.listen({ hostname: "localhost", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return `http://localhost:${port}/flags`;
}

Deno.test("defaultAddress: LOCAL, DELAY and ERROR on this machine's loopback", () => {
  assert.deepEqual(defaultAddress("LOCAL", "http://localhost:8001/flags"), {
    label: "LOCAL",
    hostname: "localhost",
    port: 8001,
  });
  assert.deepEqual(defaultAddress("DELAY", "http://127.0.0.1:8002/flags"), {
    label: "DELAY",
    hostname: "127.0.0.1",
    port: 8002,
  });
  assert.deepEqual(defaultAddress("ERROR", "http://[::1]:8003/flags"), {
    label: "ERROR",
    hostname: "::1",
    port: 8003,
  });
  assert.equal(defaultAddress("LOCAL", "http://localhost/flags")?.port, 80);
});

Deno.test("defaultAddress: never REMOTE, a -s URL, https, another host, another path", () => {
  const never: [string, string][] = [
    ["REMOTE", "https://www.fluentpython.com/data/flags"],
    ["REMOTE", "http://localhost:8001/flags"], // moved by FLAGS2_REMOTE_URL
    ["CUSTOM", "http://localhost:8001/flags"],
    ["LOCAL", "https://localhost:8001/flags"],
    ["LOCAL", "http://0.0.0.0:8001/flags"], // every interface
    ["LOCAL", "http://192.168.1.10:8001/flags"],
    ["LOCAL", "http://example.com:8001/flags"],
    ["LOCAL", "http://localhost:8001/data/flags"],
    ["local", "http://localhost:8001/flags"], // labels come upper-cased
  ];
  for (const [label, url] of never) {
    assert.equal(defaultAddress(label, url), undefined, `${label} ${url}`);
  }
});

/** The status of a GET of `url`, with the body consumed. */
async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
}

Deno.test("startDefaultServer serves the flags until closed, then nothing listens", async () => {
  const url = freeUrl();
  const server = await startDefaultServer("LOCAL", url);
  assert.ok(server);
  const response = await fetch(`${url}/br/br.gif`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "image/gif");
  await response.body?.cancel();
  await server.close();
  await assert.rejects(fetch(`${url}/br/br.gif`), TypeError);
});

/** `label` started twice at a free URL: the first serves, the second holds a lease. */
async function servedTwice(label: string) {
  const url = freeUrl();
  const first = await startDefaultServer(label, url);
  const second = await startDefaultServer(label, url);
  assert.ok(first && second);
  return { url, first, second };
}

Deno.test("a second startDefaultServer at the same URL holds a lease: the first serves on until it is given back", async () => {
  const { url, first, second } = await servedTwice("DELAY");
  let closed = false;
  const closing = first.close().then(() => closed = true);
  // Far longer than the first's linger without a lease.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(closed, false, "the first closed under a lease");
  assert.equal(await status(`${url}/br/br.gif`), 200);
  await second.close();
  await closing;
  await assert.rejects(fetch(`${url}/br/br.gif`), TypeError);
});

Deno.test("after Ctrl-C the first closes at once, and the holder of the lease serves the port itself", async () => {
  const { url, first, second } = await servedTwice("LOCAL");
  await first.close(AbortSignal.abort()); // Ctrl-C: no wait for the lease
  let served = 0;
  for (let tries = 0; !served && tries < 1000; tries++) {
    served = await status(`${url}/br/br.gif`).catch(() => 0);
    if (!served) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(served, 200, "nobody took the port over");
  await second.close();
  await assert.rejects(fetch(`${url}/br/br.gif`), TypeError);
});

Deno.test("startDefaultServer serves nothing beside a server that holds its port, nor for REMOTE or a URL", async () => {
  await using held = await startServer({ port: 0, quiet: true });
  const url = `http://localhost:${held.port}/flags`;
  assert.equal(await startDefaultServer("LOCAL", url), undefined);
  assert.equal(await startDefaultServer("CUSTOM", freeUrl()), undefined);
  const remote = freeUrl();
  assert.equal(await startDefaultServer("REMOTE", remote), undefined);
  await assert.rejects(fetch(`${remote}/br/br.gif`), TypeError);
});
