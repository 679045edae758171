/**
 * Unit tests of `tqdm.ts`'s meter, against lines that Python's tqdm 4.70.1
 * printed (`tqdm.format_meter` with its defaults).
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatInterval, formatMeter } from "./tqdm.ts";

/** `[n, total, elapsed, ncols, rate, tqdm's line]`, printed by tqdm 4.70.1. */
const TQDM_LINES: [
  number,
  number,
  number,
  number,
  number | undefined,
  string,
][] = [
  [
    0,
    676,
    0,
    60,
    undefined,
    "  0%|                               | 0/676 [00:00<?, ?it/s]",
  ],
  [
    2,
    3,
    0.65,
    80,
    undefined,
    " 67%|██████████████████████████████               | 2/3 [00:00<00:00,  3.08it/s]",
  ],
  [
    1,
    200,
    1,
    80,
    undefined,
    "  0%|▏                                          | 1/200 [00:01<03:19,  1.00it/s]",
  ],
  [
    304,
    676,
    3.19,
    120,
    undefined,
    " 45%|████████████████████████████████████▍                                            | 304/676 [00:03<00:03, 95.30it/s]",
  ],
  [
    304,
    676,
    3.19,
    60,
    undefined,
    " 45%|█████████▍           | 304/676 [00:03<00:03, 95.30it/s]",
  ],
  [
    1,
    5,
    2.41,
    80,
    undefined,
    " 20%|█████████                                    | 1/5 [00:02<00:09,  2.41s/it]",
  ],
  [
    676,
    676,
    3725.9,
    80,
    undefined,
    "100%|███████████████████████████████████████| 676/676 [1:02:05<00:00,  5.51s/it]",
  ],
  [
    55,
    676,
    3,
    60,
    18.3,
    "  8%|█▊                    | 55/676 [00:03<00:33, 18.30it/s]",
  ],
  [
    1,
    676,
    59.99,
    60,
    undefined,
    "  0%|                    | 1/676 [00:59<11:14:53, 59.99s/it]",
  ],
  [10, 676, 1, 40, undefined, "  1%|  | 10/676 [00:01<01:06, 10.00it/s]"],
  [300, 676, 3, 30, undefined, " 44%|▍| 300/676 [00:03<00:03, "],
  [
    1,
    8,
    0.5,
    80,
    undefined,
    " 12%|█████▋                                       | 1/8 [00:00<00:03,  2.00it/s]",
  ],
  [
    3,
    400,
    1,
    80,
    undefined,
    "  1%|▎                                          | 3/400 [00:01<02:12,  3.00it/s]",
  ],
  [
    999,
    1000,
    50,
    80,
    undefined,
    "100%|███████████████████████████████████████▉| 999/1000 [00:50<00:00, 19.98it/s]",
  ],
  [
    7,
    9,
    1.234,
    100,
    0.5,
    " 78%|██████████████████████████████████████████████████▌              | 7/9 [00:01<00:04,  2.00s/it]",
  ],
  [
    1,
    3,
    1,
    80,
    1,
    " 33%|███████████████                              | 1/3 [00:01<00:02,  1.00it/s]",
  ],
  [3, 7, 1, 0, undefined, " 43% 3/7 [00:01<00:01,  3.00it/s]"],
  [3, 7, 1, -1, undefined, " 43%|▍| 3/7 [00:01<00:01,  3.00it/s"],
];

Deno.test("formatMeter: the lines tqdm prints (start, percentages, truncated time, s/it, width, no bar at 0, cut at -1)", () => {
  for (const [n, all, elapsed, ncols, rate, line] of TQDM_LINES) {
    const args = JSON.stringify([n, all, elapsed, ncols, rate]);
    assert.equal(formatMeter(n, all, elapsed, ncols, rate), line, args);
  }
});

Deno.test("formatMeter: without a width, tqdm's 10-character bar", () => {
  assert.equal(
    formatMeter(5, 10, 1),
    " 50%|█████     | 5/10 [00:01<00:01,  5.00it/s]",
  );
});

Deno.test("formatInterval: truncated to the second, hours when needed", () => {
  assert.equal(formatInterval(0.65), "00:00");
  assert.equal(formatInterval(59.999), "00:59");
  assert.equal(formatInterval(3599.5), "59:59");
  assert.equal(formatInterval(3600), "1:00:00");
  assert.equal(formatInterval(40493.2), "11:14:53");
});
