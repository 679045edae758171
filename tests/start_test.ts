/**
 * The README's Start and Try sections, run as a reader runs them: Deno pinned
 * as CI installs it, one command that downloads flags, the test task, and
 * every `deno run` command by its path from a folder outside the repository,
 * and the Start command by URL (`BASE/`) from a raw-file host of a clone,
 * with LOCAL, DELAY and ERROR moved to free ports (`FLAGS2_{LABEL}_URL`).
 * The Start commands find nothing at their LOCAL, serve it themselves, and
 * print the sample's lines: the report on standard output, the line that
 * names `deno task serve` on standard error.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PRESETS, startServer } from "../slow_server.ts";
import {
  decode,
  denoCommand,
  freePort,
  listDir,
  LOCALHOST,
  repoPath,
  runDeno,
  settleAll,
  tempDir,
} from "../testing/harness.ts";
import { servedClone } from "../testing/raw_host.ts";

/** Where the README's commands take the clone to be. */
const CLONE = "~/flags2-deno/";
/** What stands for the raw-file URL of the repository in the README. */
const BASE = "BASE/";

/** The README's section whose heading starts with `title`. */
async function section(title: string): Promise<string> {
  const readme = await Deno.readTextFile(repoPath("README.md"));
  const found = readme.split(/^## /m).find((part) => part.startsWith(title));
  assert.ok(found, `no ${title} section`);
  return found;
}

/** The `deno run -A` commands of `text`, as argument lists, comments cut. */
function runCommands(text: string): string[][] {
  return text.split("\n")
    .filter((line) => line.startsWith("deno run -A "))
    .map((line) => line.replace(/#.*/, "").trim().split(/\s+/).slice(3));
}

/** The first output sample (a fenced block with no language) of `text` after `line`, as its lines. */
function sampleAfter(text: string, line: string): string[] {
  const at = text.indexOf(line);
  const block = [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)]
    .find((match) => match.index > at && match[1] === "");
  assert.ok(at >= 0 && block, `no sample after ${line}`);
  return block[2].trimEnd().split("\n");
}

/** A report's lines without the two that change: the site and the time. */
function steadyLines(lines: string[]): string[] {
  return lines.filter((line) => !/ site: |^Elapsed time: /.test(line));
}

/** Standard error's lines in a terminal: the embedded server's, the bar's. */
const STDERR_LINE = /^\*\*\* Serving |^[ \d]{3}%\|/;

/** The last frame of the bar, as tqdm draws it after 20 downloads. */
const LAST_BAR = /^100%\|█+\| 20\/20 \[[\d:]+<[\d:]+, +[\d.]+it\/s\]$/;

Deno.test("README Start: Deno pinned as CI installs it, one command that downloads flags, the test task", async () => {
  const start = await section("Start");
  const pinned = /^npm install -g (deno@\S+)$/m.exec(start);
  assert.ok(pinned, "no npm install of a pinned Deno");
  const ci = await Deno.readTextFile(repoPath(".ci/run"));
  assert.ok(ci.includes(pinned[1]), `.ci/run does not install ${pinned[1]}`);
  assert.match(start, /^cd ~\/flags2-deno$/m);
  assert.deepEqual(runCommands(start), [
    ["flags2_threadpool.ts"],
    [`${BASE}flags2_threadpool.ts`],
  ]);
  assert.match(start, /^deno task test$/m);
  // Deno's list of the tasks of deno.json (JSON with comments).
  const tasks = await denoCommand(["task"], { cwd: repoPath("") }).output();
  assert.match(decode(tasks.stdout) + decode(tasks.stderr), /^- test$/m);
});

Deno.test("README Start and Try: each command runs by its path, or by its URL, from a folder outside the repository; downloads/ is made there", async () => {
  const start = await section("Start");
  const commands = [
    ...runCommands(start),
    ...runCommands(await section("Try")),
  ];
  assert.ok(commands.length >= 8, `${commands.length} commands`);
  await using local = await startServer({ ...LOCALHOST, ...PRESETS.LOCAL });
  await using delay = await startServer({ ...LOCALHOST, ...PRESETS.DELAY });
  await using error = await startServer({ ...LOCALHOST, ...PRESETS.ERROR });
  const env = {
    NO_COLOR: "1",
    FLAGS2_LOCAL_URL: local.url,
    FLAGS2_DELAY_URL: delay.url,
    FLAGS2_ERROR_URL: error.url,
  };
  const starts = runCommands(start).length;
  await using clone = await servedClone();
  await settleAll(commands.map(async ([script, ...args], i) => {
    const name = script.replace(CLONE, "").replace(BASE, "");
    const byUrl = script.startsWith(BASE);
    // The Start commands, at a LOCAL where nothing listens: they serve it.
    const unserved = `http://localhost:${freePort()}/flags`;
    const isStart = i < starts;
    await using dir = await tempDir();
    const out = await runDeno(
      byUrl ? clone.host.url + name : repoPath(name),
      args,
      dir.path,
      {
        permissions: byUrl ? ["-A", clone.reload] : ["-A"],
        env: isStart ? { ...env, FLAGS2_LOCAL_URL: unserved } : env,
      },
    );
    // Deno's lines as it fetches the modules of a URL the first time.
    out.stderr = out.stderr.replace(/^Download .*\n/gm, "");
    const why = `${script} ${args.join(" ")}: exit ${out.code}\n${out.stderr}`;
    assert.equal(out.code, 0, why);
    if (name.startsWith("flags")) {
      const saved = await listDir(`${dir.path}/downloads`);
      assert.ok(saved.length > 0, `${why}nothing in downloads/`);
    }
    if (isStart) {
      const sample = sampleAfter(start, "deno run -A flags2_threadpool.ts");
      assert.deepEqual(
        steadyLines(out.stdout.trimEnd().split("\n")),
        steadyLines(sample.filter((line) => !STDERR_LINE.test(line))),
      );
      const [serving, bar] = sample.filter((line) => STDERR_LINE.test(line));
      assert.equal(
        out.stderr,
        `${serving.replace("http://localhost:8001/flags", unserved)}\n`,
      );
      assert.match(bar, LAST_BAR);
      assert.equal(bar.length, 79, "the bar in 80 columns, as tqdm draws it");
    }
  }));
});
