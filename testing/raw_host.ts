/**
 * The repository as a reader gets it, for the tests of running by URL and
 * from a folder of any name: a clone (the files git tracks, as they are in
 * the work tree), and a raw-file host on loopback that serves a folder as
 * a raw-file host serves a repository: text as `text/plain`, whatever its
 * extension, anything else as `application/octet-stream`.
 *
 * @example A clone served, and a file of it read back by its URL
 * ```ts
 * import assert from "node:assert/strict";
 * import { servedClone } from "./raw_host.ts";
 *
 * await using clone = await servedClone();
 * const response = await fetch(new URL("flags2_common.ts", clone.host.url));
 * assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
 * assert.match(await response.text(), /^export async function main\(/m);
 * ```
 *
 * @module
 */

import { repoPath, tempDir } from "./files.ts";
import { decode } from "./process.ts";

/** Where a raw-file host would put a branch of the repository. */
const BRANCH_PATH = "/readers/flags2-deno/main/";

/**
 * Copies the files of the repository that a clone would hold, as they are
 * in the work tree (tracked, or new and not ignored), into `dest`.
 *
 * @param dest an existing folder
 * @returns the files' paths, from the repository's root
 * @throws {Error} when git cannot list them
 */
export async function cloneRepo(dest: string): Promise<string[]> {
  const root = repoPath("");
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ls-files: ${decode(out.stderr)}`);
  const files = [];
  for (const file of new Set(decode(out.stdout).split("\0"))) {
    if (!file) continue;
    const target = `${dest}/${file}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), {
      recursive: true,
    });
    try {
      await Deno.copyFile(`${root}${file}`, target);
    } catch (exc) {
      if (exc instanceof Deno.errors.NotFound) continue; // deleted, not yet committed
      throw exc;
    }
    files.push(file);
  }
  return files;
}

/** A raw-file host, running. */
export interface RawHost extends AsyncDisposable {
  /** The base URL of the served folder, ending with `/`. */
  readonly url: string;
  /** `host:port`, as `--allow-import` and `--allow-net` name it. */
  readonly host: string;
}

/**
 * Serves the files of `root` under a branch-like path of 127.0.0.1 on a
 * free port, as a raw-file host does: GET and HEAD, text as `text/plain;
 * charset=utf-8`, other files as `application/octet-stream`, 404 for
 * anything else (a folder, a path that climbs out).
 *
 * @param root the folder to serve
 * @returns the host; `await using` it
 */
export function serveRaw(root: string): Promise<RawHost> {
  const handler = async (request: Request): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(null, { status: 405 });
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return new Response("Bad Request", { status: 400 });
    }
    const parts = path.slice(BRANCH_PATH.length).split("/");
    if (!path.startsWith(BRANCH_PATH) || parts.includes("..")) {
      return new Response("Not Found", { status: 404 });
    }
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await Deno.readFile(`${root}/${parts.join("/")}`);
    } catch {
      return new Response("Not Found", { status: 404 });
    }
    const type = body.includes(0)
      ? "application/octet-stream"
      : "text/plain; charset=utf-8";
    return new Response(request.method === "HEAD" ? null : body, {
      headers: { "content-type": type, "content-length": `${body.length}` },
    });
  };
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen({ port }) {
        const host = `127.0.0.1:${port}`;
        resolve({
          url: `http://${host}${BRANCH_PATH}`,
          host,
          [Symbol.asyncDispose]: () => server.shutdown(),
        });
      },
    }, handler);
  });
}

/** A clone of the repository, and a raw-file host that serves it. */
export interface ServedClone extends AsyncDisposable {
  /** The clone's folder. */
  readonly dir: string;
  /** The host; `host.url` is the base URL of the scripts. */
  readonly host: RawHost;
  /** `--reload` of every module of the clone, as served. */
  readonly reload: string;
}

/**
 * Clones the repository into a temporary folder and serves it as raw files.
 *
 * @param folder the clone's path in the temporary folder
 * @returns the clone and its host; `await using` it
 */
export async function servedClone(
  folder = "flags2-deno",
): Promise<ServedClone> {
  const dir = await tempDir({ prefix: "flags2_clone_" });
  const path = `${dir.path}/${folder}`;
  await Deno.mkdir(path, { recursive: true });
  const files = await cloneRepo(path);
  const host = await serveRaw(path);
  const modules = files.filter((file) => file.endsWith(".ts"));
  return {
    dir: path,
    host,
    reload: `--reload=${modules.map((file) => host.url + file).join(",")}`,
    async [Symbol.asyncDispose]() {
      await host[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}
