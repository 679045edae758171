/**
 * The progress bar in real pseudo-terminals (`script` of util-linux): the
 * bar against tqdm's at several widths, and the scripts drawing it, 60
 * columns wide, through Ctrl-C. Its meter is tested in `lib/tqdm_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseReport } from "../testing/report.ts";
import { PRESETS, startServer } from "../slow_server.ts";
import {
  LOCALHOST,
  SCRIPT_NAMES,
  scriptPath,
  settleAll,
  tempDir,
  total,
} from "../testing/harness.ts";
import { denoArgv } from "../testing/process.ts";
import { drawnLines, runInTerminal } from "../testing/terminal.ts";

/**
 * `[columns, the first line]` that tqdm 4.70.1 drew over 3 items in a
 * terminal that wide: it leaves the last column; with 1 column, no bar; with
 * 0 (a terminal of unknown size), a 1-wide bar and the line cut by one.
 */
const TQDM_FIRST_LINES: [number, string][] = [
  [0, "  0%| | 0/3 [00:00<?, ?it/s"],
  [1, "  0% 0/3 [00:00<?, ?it/s]"],
  [60, `  0%|${" ".repeat(32)}| 0/3 [00:00<?, ?it/s]`],
  [80, `  0%|${" ".repeat(52)}| 0/3 [00:00<?, ?it/s]`],
  [120, `  0%|${" ".repeat(92)}| 0/3 [00:00<?, ?it/s]`],
];

/** What a loop over 3 items in `tqdm` shows in a terminal `columns` wide. */
async function threeItemsInTerminal(columns: number): Promise<string[]> {
  const tqdmUrl = import.meta.resolve("../lib/tqdm.ts");
  const code = `import { tqdm } from "${tqdmUrl}";\n` +
    "for await (const _ of tqdm([1, 2, 3], 3));";
  const run = await runInTerminal(denoArgv(["eval", code], ["-q"]), {
    columns,
    env: { NO_COLOR: "1" },
  });
  assert.equal(run.code, 0, run.screen);
  return drawnLines(run.screen).filter((line) => line !== "");
}

Deno.test("in a terminal: the bar as wide as tqdm's, which leaves the last column", async () => {
  await settleAll(TQDM_FIRST_LINES.map(async ([columns, first]) => {
    const drawn = await threeItemsInTerminal(columns);
    const why = `${columns} columns:\n${drawn.join("\n")}`;
    assert.equal(drawn[0], first, why);
    assert.match(drawn.at(-1)!, /^100%.* 3\/3 \[/, why);
    if (columns < 2) return; // the bar's rate sets the line's width
    for (const line of drawn) assert.equal(line.length, columns - 1, why);
  }));
});

/** tqdm's meter as it is drawn: percentage, bar, n/total, times, rate. */
const METER =
  /^[ \d]{3}%\|.*\| (\d+)\/(\d+) \[[\d:]+<[\d:?]+, +[\d.?]+(it\/s|s\/it)\]$/;
const COLUMNS = 60;

/**
 * Runs `script` in a pseudo-terminal `COLUMNS` wide, and types Ctrl-C once
 * the bar has counted a flag; returns what the terminal showed.
 */
async function ctrlCInTerminal(
  script: string,
  args: string[],
  cwd: string,
  denoFlags: string[] = [],
): Promise<string> {
  const argv = denoArgv(["run", script, ...args], ["-A", ...denoFlags]);
  const { screen } = await runInTerminal(argv, {
    columns: COLUMNS,
    cwd,
    env: { NO_COLOR: "1" },
    type: { when: /\| [1-9]\d*\/\d+ \[/, keys: "\x03" },
  });
  return screen;
}

Deno.test("in a terminal: tqdm's first line and width, and Ctrl-C leaves the bar at what finished", async () => {
  await using server = await startServer({ ...LOCALHOST, ...PRESETS.DELAY });
  await settleAll(SCRIPT_NAMES.map(async (name) => {
    await using dir = await tempDir();
    const screen = await ctrlCInTerminal(
      scriptPath(name),
      ["-e", "-s", server.url],
      dir.path,
    );
    const why = `${name}:\n${screen}`;
    const meters = drawnLines(screen).filter((line) => METER.test(line));
    assert.ok(meters.length >= 2, why);
    assert.equal(
      meters[0],
      `  0%|${" ".repeat(30)}| 0/676 [00:00<?, ?it/s]`,
      why,
    );
    for (const line of meters) assert.equal(line.length, COLUMNS - 1, why);
    const last = Number(METER.exec(meters.at(-1)!)![1]);
    const report = parseReport(screen.replaceAll("\r", ""));
    assert.ok(last > 0 && last < 676, why);
    assert.ok(last <= total(report), why);
    assert.ok(total(report) < 676, why);
  }));
});

Deno.test("in a terminal, deno run -q: Deno clears no line, so nothing erases the threadpool's bar while its Workers start", async () => {
  await using server = await startServer({ ...LOCALHOST, ...PRESETS.DELAY });
  await using dir = await tempDir();
  const screen = await ctrlCInTerminal(
    scriptPath("threadpool"),
    ["-e", "-s", server.url],
    dir.path,
    ["-q"],
  );
  assert.match(screen, /\| [1-9]\d*\/676 \[/, screen);
  assert.ok(!screen.includes("\x1b[2K"), JSON.stringify(screen));
});
