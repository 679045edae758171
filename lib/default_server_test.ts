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

Deno.test("startDefaultServer serves the flags until shut down, then nothing listens", async () => {
  const url = freeUrl();
  const server = await startDefaultServer("LOCAL", url);
  assert.ok(server);
  const response = await fetch(`${url}/br/br.gif`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "image/gif");
  await response.body?.cancel();
  await server.shutdown();
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
