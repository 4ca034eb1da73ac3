/**
 * The one progress bar of `ami-guard` (cli-progress, on stderr): shown only when asked for and only on a
 * terminal, loaded only then, and cleared when the work ends, failed or not, so that the result (stdout) or the
 * one-line error is all that stays on screen.
 */

/** What a command's slow work reports; both styles move the same bar. */
export interface Progress {
  /** More units of work were found: the total grows by `n`. */
  add(n: number): void;
  /** `n` units (default 1) are done. */
  tick(n?: number): void;
  /** Sets what is happening, how much is done and the total, outright. */
  step(label: string, done: number, total: number): void;
}

export interface ProgressOptions {
  /** False under a machine-readable output (`--json`, `--format sarif`): no bar at all. */
  enabled: boolean;
  /** What the bar counts, shown after the numbers until a step names what is happening. */
  task: string;
  /** Where the bar goes (default stderr); nothing is drawn unless it is a terminal. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Runs `work` with a progress bar when `opts` allow one (`undefined` otherwise), and clears it afterwards. */
export async function withProgress<T>(
  opts: ProgressOptions,
  work: (progress: Progress | undefined) => Promise<T>,
): Promise<T> {
  const stream = opts.stream ?? process.stderr;
  if (!opts.enabled || stream.isTTY !== true) return work(undefined);
  const { SingleBar } = await import("cli-progress");
  const bar = new SingleBar({
    format: "{bar} {value}/{total} {task} | {duration_formatted}",
    barsize: 20,
    hideCursor: true,
    clearOnComplete: true,
    stream: stream as NodeJS.WriteStream,
  });
  let total = 0;
  bar.start(0, 0, { task: opts.task });
  try {
    return await work({
      add(n) {
        total += n;
        bar.setTotal(total);
      },
      tick(n = 1) {
        bar.increment(n);
      },
      step(label, done, all) {
        total = all;
        bar.setTotal(all);
        bar.update(done, { task: label });
      },
    });
  } finally {
    bar.stop();
  }
}
