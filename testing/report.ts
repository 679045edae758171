/**
 * Reads back the numbers of a flags2 script's two reports (the lines that
 * `initialReport` and `finalReport` print), for the bench and the tests; the
 * book's own scripts print the same lines, the second edition's with the
 * counts padded and `1 connection` in the singular.
 *
 * @module
 */

/** The numbers of a script's two reports, read back from its output. */
export interface Report {
  /** Seconds, from the last line. */
  elapsed: number;
  /** How many codes were searched for. */
  codes: number;
  /** How many concurrent connections were used. */
  concurrency: number;
  /** Flags downloaded. */
  ok: number;
  /** Codes the server does not know (404). */
  notFound: number;
  /** Downloads that failed. */
  errors: number;
}

/** A script's output that does not hold a whole report. */
export class ReportError extends Error {
  static {
    this.prototype.name = "ReportError";
  }
}

/**
 * The counts of a script's report.
 *
 * @param stdout the script's standard output
 * @returns the numbers of its two reports
 * @throws {ReportError} when the report is not all there
 */
export function parseReport(stdout: string): Report {
  const lastLine = stdout.trimEnd().split("\n").at(-1) ?? "";
  const elapsed = /^Elapsed time: (\d+\.\d+)s$/.exec(lastLine);
  if (!elapsed) {
    throw new ReportError(`last line is not the time: "${lastLine}"`);
  }
  const count = (pattern: RegExp, missing?: number) => {
    const match = pattern.exec(stdout);
    if (match) return Number(match[1]);
    if (missing === undefined) throw new ReportError(`no line ${pattern}`);
    return missing;
  };
  return {
    elapsed: Number(elapsed[1]),
    codes: count(/^Searching for (\d+) flags?/m),
    concurrency: count(
      /^(\d+) (?:concurrent )?connections? will be used\.$/m,
    ),
    ok: count(/^ *(\d+) flags? downloaded\.$/m),
    // These two lines are printed only when their count is not zero.
    notFound: count(/^ *(\d+) not found\.$/m, 0),
    errors: count(/^ *(\d+) errors?\.$/m, 0),
  };
}
