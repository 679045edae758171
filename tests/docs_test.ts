/**
 * The documentation as a reader follows it: the README is a front page that
 * links every page of `docs/`, every relative link of the README and of those
 * pages leads to a file (and heading) that exists, and the program that
 * `docs/futures.md` shows runs and prints what its sample claims.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { decode, denoCommand, listDir, repoPath } from "../testing/harness.ts";

/** The README and the pages of `docs/`, as paths relative to the repository. */
async function pages(): Promise<string[]> {
  const docs = (await listDir(repoPath("docs")))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs];
}

/** `markdown` without its fenced blocks and code spans, where a link is text. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** The targets of the Markdown links of `markdown` that are not URLs. */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z]+:/.test(target));
}

/** The anchors GitHub gives the headings of `markdown`. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...prose(markdown).matchAll(/^#+ (.+)$/gm)].map(([, heading]) =>
      heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(
        / /g,
        "-",
      )
    ),
  );
}

/** Whether `path` names a file or folder. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("docs: each relative link of the README and docs/ leads to a file, and to a heading of it", async () => {
  const broken: string[] = [];
  for (const page of await pages()) {
    const text = await Deno.readTextFile(repoPath(page));
    for (const link of relativeLinks(text)) {
      const [file, anchor] = link.split("#");
      const target = file
        ? join(dirname(repoPath(page)), file)
        : repoPath(page);
      if (!await exists(target)) {
        broken.push(`${page}: ${link} (no ${relative(repoPath(""), target)})`);
      } else if (anchor !== undefined) {
        const headings = anchors(await Deno.readTextFile(target));
        if (!headings.has(anchor)) broken.push(`${page}: ${link} (no heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("docs: the README is a front page of at most 250 lines that links every page of docs/", async () => {
  const readme = await Deno.readTextFile(repoPath("README.md"));
  const lines = readme.trimEnd().split("\n").length;
  assert.ok(lines <= 250, `README.md has ${lines} lines`);
  const linked = new Set(
    relativeLinks(readme).map((link) => link.split("#")[0]),
  );
  const docs = (await pages()).filter((page) => page.startsWith("docs/"));
  assert.ok(docs.length >= 4, docs.join(", "));
  assert.deepEqual(docs.filter((page) => !linked.has(page)), []);
});

Deno.test("docs/futures.md: its program gets the pid of a Worker, a process and a promise in one asCompleted", async () => {
  const page = await Deno.readTextFile(repoPath("docs/futures.md"));
  const program = /^```ts\n([\s\S]*?)^```$/m.exec(page);
  assert.ok(program, "no program");
  const child = denoCommand(["run", "-"], {
    permissions: ["-A"],
    cwd: repoPath(""),
    stdin: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(program[1]));
  await writer.close();
  const out = await child.output();
  const stdout = decode(out.stdout);
  assert.equal(out.code, 0, decode(out.stderr));
  const pids = new Map(
    [...stdout.matchAll(/^(.+): pid (\d+)/gm)].map((
      [, who, pid],
    ) => [who, pid]),
  );
  const main = pids.get("main");
  assert.ok(main, stdout);
  assert.deepEqual(
    [...pids.keys()].sort(),
    ["a Worker", "a Worker, 50 ms", "a process", "a promise", "main"],
  );
  for (const who of ["a Worker", "a Worker, 50 ms", "a promise"]) {
    assert.equal(pids.get(who), main, `${who}\n${stdout}`);
  }
  assert.notEqual(pids.get("a process"), main, stdout);
  assert.match(stdout, /state=finished returned number>$/m);
});
