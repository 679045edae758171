/**
 * The README's Start section, run as a reader runs it: every `deno run`
 * command of its second terminal, from a folder outside the repository,
 * with LOCAL, DELAY and ERROR moved to free ports (`FLAGS2_{LABEL}_URL`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatMeter } from "../lib/tqdm.ts";
import { PRESETS, startServer } from "../slow_server.ts";
import {
  decode,
  listDir,
  LOCALHOST,
  repoPath,
  settleAll,
  tempDir,
} from "../tools/harness.ts";
import { denoCommand } from "../tools/process.ts";

/** Where the README's commands take the clone to be. */
const CLONE = "~/flags2-deno/";

/** The README's Start section. */
async function startSection(): Promise<string> {
  const readme = await Deno.readTextFile(repoPath("README.md"));
  const start = readme.split(/^## /m).find((part) => part.startsWith("Start"));
  assert.ok(start, "no Start section");
  return start;
}

/** The `deno run -A` commands of the README's Start section, as argument lists. */
async function startCommands(): Promise<string[][]> {
  return (await startSection()).split("\n")
    .filter((line) => line.startsWith("deno run -A "))
    .map((line) => line.replace(/#.*/, "").trim().split(/\s+/).slice(3));
}

Deno.test("README Start: each script runs by its path from a folder outside the repository; downloads/ is made there", async () => {
  const commands = await startCommands();
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
  await settleAll(commands.map(async ([script, ...args]) => {
    assert.ok(script.startsWith(CLONE), `${script}: not by the clone's path`);
    await using dir = await tempDir();
    const name = script.slice(CLONE.length);
    const file = repoPath(name);
    const out = await denoCommand(["run", file, ...args], {
      permissions: ["-A"],
      cwd: dir.path,
      env,
    }).output();
    const why = `${script} ${args.join(" ")}: exit ${out.code}\n` +
      decode(out.stderr);
    assert.equal(out.code, 0, why);
    if (name.startsWith("flags")) {
      const saved = await listDir(`${dir.path}/downloads`);
      assert.ok(saved.length > 0, `${why}nothing in downloads/`);
    }
  }));
});

Deno.test("README Start: the sample bar is the line tqdm draws in a terminal of 80 columns (79 wide) for its numbers", async () => {
  const bars = (await startSection()).split("\n")
    .filter((line) => /^ *\d+%\|/.test(line));
  assert.equal(bars.length, 1, bars.join("\n"));
  const [bar] = bars;
  const numbers = /\| (\d+)\/(\d+) \[(\d\d):(\d\d)<.*, *([\d.]+)it\/s\]$/
    .exec(bar);
  assert.ok(numbers, bar);
  const [n, total, minutes, seconds, rate] = numbers.slice(1).map(Number);
  assert.equal(
    formatMeter(n, total, minutes * 60 + seconds, 79, rate),
    bar,
  );
});
