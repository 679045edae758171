/**
 * Tests of slow_server.ts: real servers on free ports, real requests.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  bookServers,
  EDITION_PORTS,
  PRESETS,
  startServer,
  VAURIEN,
} from "../slow_server.ts";
import { LEASE_HEADER } from "../lib/default_server.ts";
import {
  decode,
  denoCommand,
  LOCALHOST,
  repoPath,
  zipGifs,
} from "../testing/harness.ts";

const SERVER = repoPath("slow_server.ts");

/** The gif of `cc` in flags.zip, unzipped by the harness, not the server. */
async function zipGif(cc: string): Promise<Uint8Array> {
  return (await zipGifs()).get(`${cc}.gif`)!;
}

/** Sends `target` as is (fetch would normalise it); returns the whole response. */
async function rawGet(port: number, target: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    "Connection: close\r\n\r\n";
  await conn.write(new TextEncoder().encode(request));
  return await new Response(conn.readable).text();
}

/** The status of a GET, with the body consumed. */
async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
}

/** The statuses of `count` sequential requests to a server with `seed`. */
async function statusPattern(
  seed: number,
  count: number,
  errorStatuses?: readonly number[],
): Promise<number[]> {
  await using server = await startServer({
    ...LOCALHOST,
    errorRate: 0.25,
    errorStatuses,
    seed,
  });
  const statuses = [];
  for (let i = 0; i < count; i++) {
    statuses.push(await status(`${server.url}/br/br.gif`));
  }
  return statuses;
}

Deno.test("a gif is byte for byte the zip entry", async () => {
  await using server = await startServer(LOCALHOST);
  const response = await fetch(`${server.url}/br/br.gif`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "image/gif");
  const body = new Uint8Array(await response.arrayBuffer());
  assert.deepEqual(body, await zipGif("br"));
});

Deno.test("metadata.json is served as JSON", async () => {
  await using server = await startServer(LOCALHOST);
  const response = await fetch(`${server.url}/br/metadata.json`);
  assert.equal(response.headers.get("content-type"), "application/json");
  const metadata = await response.json();
  assert.equal(metadata.country, "Brazil");
  assert.equal(metadata.iso_cc, "BR");
});

Deno.test("unknown codes and other paths get 404", async () => {
  await using server = await startServer(LOCALHOST);
  const base = `http://127.0.0.1:${server.port}`;
  for (
    const path of [
      "/flags/zz/zz.gif",
      "/flags/zz/metadata.json",
      "/flags/br/us.gif",
      "/flags/BR/BR.gif",
      "/flags/br/",
      "/flags",
      "/",
      "/flags.zip",
    ]
  ) {
    assert.equal(await status(base + path), 404, path);
  }
});

Deno.test("HEAD has the headers of GET and no body", async () => {
  await using server = await startServer(LOCALHOST);
  const response = await fetch(`${server.url}/br/br.gif`, { method: "HEAD" });
  const body = await response.arrayBuffer();
  assert.equal(response.status, 200);
  assert.equal(body.byteLength, 0);
  assert.equal(response.headers.get("content-type"), "image/gif");
  const size = (await zipGif("br")).length;
  assert.equal(response.headers.get("content-length"), String(size));
});

Deno.test("other methods get 405 with Allow", async () => {
  await using server = await startServer(LOCALHOST);
  for (const method of ["POST", "PUT", "DELETE"]) {
    const response = await fetch(`${server.url}/br/br.gif`, { method });
    await response.body?.cancel();
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
  }
});

Deno.test("paths leaving the flag data get 404", async () => {
  await using server = await startServer(LOCALHOST);
  const attempts = [
    "/flags/../deno.json",
    "/flags/br/../../deno.json",
    "/flags/%2e%2e/deno.json",
    "/flags/%2E%2E/%2E%2E/deno.json",
    "/flags/br/..%2f..%2fdeno.json",
    "/flags/br%2fbr.gif",
    "/flags/br/%62r.gif",
    "//etc/passwd",
    "/etc/passwd",
    "/flags/br\\br.gif",
    "/flags\\br\\br.gif",
    "/flags/../flags/br/br.gif",
    "/flags/./br/br.gif",
    "/flags/br/br.gif/../../../deno.json",
  ];
  for (const target of attempts) {
    const response = await rawGet(server.port, target);
    assert.match(response, /^HTTP\/1\.1 404 /, target);
    assert.doesNotMatch(response, /"tasks"|GIF8|root:/, target);
  }
  // The control: the same raw request does reach a flag.
  assert.match(
    await rawGet(server.port, "/flags/br/br.gif"),
    /^HTTP\/1\.1 200 /,
  );
});

Deno.test("a seed replays the same errors", async () => {
  const first = await statusPattern(42, 40);
  const again = await statusPattern(42, 40);
  const other = await statusPattern(7, 40);
  assert.deepEqual(again, first);
  assert.notDeepEqual(other, first);
  assert.deepEqual(new Set(first), new Set([200, 418]));
  const errors = first.filter((code) => code === 418).length;
  assert.ok(errors >= 4 && errors <= 16, `${errors} errors in 40`);
});

Deno.test("errorRate 1 answers every path 418", async () => {
  await using server = await startServer({ ...LOCALHOST, errorRate: 1 });
  const response = await fetch(`${server.url}/zz/zz.gif`);
  assert.equal(response.status, 418);
  assert.match(await response.text(), /I'm a Teapot/);
});

Deno.test("a delay holds the response back", async () => {
  await using server = await startServer({ ...LOCALHOST, delay: 0.2 });
  const started = performance.now();
  assert.equal(await status(`${server.url}/br/br.gif`), 200);
  // A few milliseconds of slack for clock granularity; no upper bound.
  assert.ok(performance.now() - started >= 195);
});

Deno.test("a delay range holds the response at least its minimum", async () => {
  await using server = await startServer({
    ...LOCALHOST,
    delay: [0.05, 0.15],
    seed: 1,
  });
  const started = performance.now();
  assert.equal(await status(`${server.url}/br/br.gif`), 200);
  assert.ok(performance.now() - started >= 45);
});

Deno.test("peak() counts the requests held at once", async () => {
  await using server = await startServer({ ...LOCALHOST, delay: 0.3 });
  assert.equal(server.peak(), 0);
  const url = `${server.url}/br/br.gif`;
  const statuses = await Promise.all(
    Array.from({ length: 5 }, () => status(url)),
  );
  assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
  assert.equal(server.peak(), 5);
  for (let i = 0; i < 3; i++) await status(url);
  assert.equal(server.peak(), 5);
});

Deno.test("idle() waits for the requests under way, then for no request", async () => {
  await using server = await startServer({ ...LOCALHOST, delay: 0.3 });
  let answered = false;
  const pending = status(`${server.url}/br/br.gif`).then((code) => {
    answered = true;
    return code;
  });
  while (server.peak() === 0) await new Promise((r) => setTimeout(r, 10));
  await server.idle(1000); // far longer than the answer takes to arrive
  assert.ok(answered, "idle() resolved with a request under way");
  assert.equal(await pending, 200);
});

/** Sends a lease request on a connection of its own; returns it and the response's head. */
async function askLease(
  port: number,
  method = "GET",
): Promise<{ conn: Deno.Conn; head: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = `${method} /flags HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `${LEASE_HEADER}: 1\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  let head = "";
  const buffer = new Uint8Array(4096);
  while (!head.includes("\r\n\r\n")) {
    const read = await conn.read(buffer);
    if (read === null) break;
    head += decode(buffer.subarray(0, read));
  }
  return { conn, head };
}

Deno.test("leases: granted at once even where every request waits 30 s and fails, the body held open and empty; idle() waits for it; it ends when its client goes", async () => {
  await using server = await startServer({
    ...LOCALHOST,
    delay: 30,
    errorRate: 1,
    leases: true,
  });
  const { conn, head } = await askLease(server.port);
  assert.match(head, /^HTTP\/1\.1 200 /);
  assert.match(head, /^flags2-lease: granted\r$/im);
  assert.equal(server.leases(), 1);
  assert.equal(server.peak(), 0, "a lease is no flag request");
  let idle = false;
  const waiting = server.idle(10).then(() => idle = true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(idle, false, "idle() with a lease open");
  conn.close();
  await waiting;
  assert.equal(server.leases(), 0);
});

Deno.test("leases: shutdown ends them, with nothing sent in the body", async () => {
  const server = await startServer({ ...LOCALHOST, leases: true });
  const { conn, head } = await askLease(server.port);
  assert.match(head, /^flags2-lease: granted\r$/im);
  await server.shutdown();
  const rest = decode(await new Response(conn.readable).bytes());
  const body = head.slice(head.indexOf("\r\n\r\n") + 4) + rest;
  assert.ok(["", "0\r\n\r\n"].includes(body), JSON.stringify(body));
  assert.equal(server.leases(), 0);
});

Deno.test("leases: none without the option, as deno task serve: 404 at once even on DELAY, not counted as a request", async () => {
  await using server = await startServer({ ...LOCALHOST, ...PRESETS.DELAY });
  const { conn, head } = await askLease(server.port);
  conn.close();
  assert.match(head, /^HTTP\/1\.1 404 /);
  assert.doesNotMatch(head, /flags2-lease/i);
  assert.equal(server.peak(), 0);
  // Only a GET asks for a lease: HEAD and POST are answered as ever.
  await using leasing = await startServer({ ...LOCALHOST, leases: true });
  for (const [method, code] of [["HEAD", 404], ["POST", 405]] as const) {
    const { conn, head } = await askLease(leasing.port, method);
    conn.close();
    assert.match(head, new RegExp(`^HTTP/1\\.1 ${code} `), method);
    assert.doesNotMatch(head, /flags2-lease/i, method);
  }
  assert.equal(leasing.leases(), 0);
});

Deno.test("shutdown does not wait for a long delay", async () => {
  const server = await startServer({ ...LOCALHOST, delay: 30 });
  const pending = status(`${server.url}/br/br.gif`);
  while (server.peak() === 0) await new Promise((r) => setTimeout(r, 10));
  const started = performance.now();
  await server.shutdown();
  // Closing may cut the connection before any answer: that is fine here.
  await pending.catch(() => {});
  assert.ok(performance.now() - started < 5000);
});

Deno.test("bad options are rejected", async () => {
  await assert.rejects(startServer({ errorRate: 2 }), RangeError);
  await assert.rejects(startServer({ delay: [1, 0.5] }), RangeError);
  await assert.rejects(startServer({ port: -1 }), RangeError);
});

/** What a server run from the command line printed, and how it ended. */
interface CliRun {
  code: number;
  output: string;
  errors: string;
}

/**
 * Runs slow_server.ts with `args` until `use` is done with its URL, then
 * Ctrl-C: with `deno run -A`, or as `deno task serve` with its permissions.
 */
async function withCli(
  args: string[],
  use: (url: string) => Promise<void>,
  via: "run" | "task" = "run",
): Promise<CliRun> {
  const cwd = repoPath("");
  const child =
    (via === "run"
      ? denoCommand(["run", SERVER, ...args], { permissions: ["-A"], cwd })
      : denoCommand(["task", "--quiet", "serve", ...args], { cwd })).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const errors = new Response(child.stderr).text();
  let output = "";
  while (!output.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    output += value;
  }
  try {
    const url = /http:\S+/.exec(output)?.[0];
    assert.ok(url, `no URL in ${JSON.stringify(output)}`);
    await use(url);
  } finally {
    child.kill("SIGINT");
  }
  for (let r = await lines.read(); !r.done; r = await lines.read()) {
    output += r.value;
  }
  return { code: (await child.status).code, output, errors: await errors };
}

Deno.test("CLI: serves a flag and exits 0 on SIGINT", async () => {
  const args = ["--port", "0", "--bind", "127.0.0.1"];
  const { code, output, errors } = await withCli(args, async (url) => {
    assert.equal(await status(`${url}/br/br.gif`), 200);
  });
  assert.equal(code, 0, errors);
  assert.match(output, /^CUSTOM http:\/\/127\.0\.0\.1:\d+\/flags$/m);
  assert.match(
    output,
    /^127\.0\.0\.1 GET \/flags\/br\/br\.gif 200 \d+\.\d\ds$/m,
  );
});

Deno.test("CLI: `deno task serve -b 0.0.0.0`, offered by -h, listens on every interface with the task's permissions", async () => {
  const args = ["-b", "0.0.0.0", "-p", "0", "-q"];
  const { code, output, errors } = await withCli(args, async (url) => {
    // Asked on loopback only: the test reaches no other address.
    const local = url.replace("//0.0.0.0:", "//127.0.0.1:");
    assert.equal(await status(`${local}/br/br.gif`), 200);
  }, "task");
  assert.equal(code, 0, errors);
  assert.match(output, /^CUSTOM http:\/\/0\.0\.0\.0:\d+\/flags$/m);
});

Deno.test("CLI: `deno task serve -h` prints the help with the task's own permissions", async () => {
  const { code, stdout, stderr } = await denoCommand(
    ["task", "--quiet", "serve", "-h"],
    { cwd: repoPath("") },
  ).output();
  assert.equal(code, 0, decode(stderr));
  assert.match(decode(stdout), /^usage: slow_server\.ts \[-h\] \[-p N\] /);
  assert.match(
    decode(stdout),
    /\n {2}-h, --help +show this help message and exit\n/,
  );
});

Deno.test("Vaurien's errors: 500 to 504 where 418 would be, in the same requests of a seeded run", async () => {
  const teapot = await statusPattern(42, 40);
  const vaurien = await statusPattern(42, 40, VAURIEN);
  const failed = (statuses: number[]) => statuses.map((code) => code !== 200);
  assert.deepEqual(failed(vaurien), failed(teapot));
  const errors = vaurien.filter((code) => code !== 200);
  assert.ok(errors.every((code) => VAURIEN.includes(code)), `${errors}`);
  await using server = await startServer({
    ...LOCALHOST,
    errorRate: 1,
    errorStatuses: VAURIEN,
    seed: 7,
  });
  const seen = new Set<number>();
  for (let i = 0; i < 60; i++) {
    seen.add(await status(`${server.url}/br/br.gif`));
  }
  assert.deepEqual([...seen].sort(), [...VAURIEN]);
  await assert.rejects(
    startServer({ ...LOCALHOST, errorStatuses: [200] }),
    RangeError,
  );
});

Deno.test("CLI: --vaurien answers the errors 500 to 504, as the first edition's Vaurien", async () => {
  const args = ["-p", "0", "-b", "127.0.0.1", "-e", "1", "--vaurien", "-q"];
  const { code, errors } = await withCli(args, async (url) => {
    for (let i = 0; i < 10; i++) {
      const answer = await status(`${url}/br/br.gif`);
      assert.ok(VAURIEN.includes(answer), `${answer}`);
    }
  });
  assert.equal(code, 0, errors);
});

Deno.test("--edition: the book's servers on the first edition's ports 8001-8003, or the second's 8000-8002", () => {
  assert.deepEqual(EDITION_PORTS, {
    1: { LOCAL: 8001, DELAY: 8002, ERROR: 8003 },
    2: { LOCAL: 8000, DELAY: 8001, ERROR: 8002 },
  });
  for (const edition of [1, 2] as const) {
    const ports = EDITION_PORTS[edition];
    assert.deepEqual(bookServers(edition), [
      ["LOCAL", { port: ports.LOCAL, ...PRESETS.LOCAL }],
      ["DELAY", { port: ports.DELAY, ...PRESETS.DELAY }],
      ["ERROR", { port: ports.ERROR, ...PRESETS.ERROR }],
    ]);
  }
});
