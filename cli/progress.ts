/**
 * A progress bar for long CLI work (a purge in chunks, a dead-letter
 * redrive, a backup, a bench run), drawn on stderr so stdout stays the
 * command's result: `label [#######-------]  48%  4,800/10,000`, redrawn in
 * place. Only on a terminal: on a pipe or a file it draws nothing, and its
 * log lines are plain lines, so scripts and tests read clean output.
 */

/** What the bar writes to: stderr, or a fake terminal in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  /** True on a terminal: only then is a bar drawn. */
  readonly isTTY?: boolean;
  /** Width of the terminal in characters; 80 when unknown (or 0, as a terminal without a size says). */
  readonly columns?: number;
}

/** How the counts read: plain numbers, or bytes (KiB, MiB, GiB). */
export type ProgressUnit = 'count' | 'bytes';

/** Options of {@link progressBar}. */
export interface ProgressOptions {
  /** What the work is counted in. Default 'count'. */
  unit?: ProgressUnit;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Milliseconds clock, to throttle redraws. Default Date.now. */
  now?: () => number;
  /** Least time between two redraws, ms (the last one is always drawn). Default 100. */
  minRedrawMs?: number;
}

/** A bar in progress. */
export interface Progress {
  /** `done` of `total` (the total may change: a queue grows while it is purged). */
  update(done: number, total?: number): void;
  /** Prints `line` above the bar (on a pipe: just the line). */
  log(line: string): void;
  /** Draws the final state (if a bar was shown) and moves below it; nothing afterwards is drawn. */
  finish(): void;
}

const CLEAR_LINE = '\r\x1b[K';
const DEFAULT_COLUMNS = 80;
/** Narrowest bar worth drawing, in characters between the brackets. */
const MIN_BAR = 10;
/** Widest bar: a wide terminal need not be crossed for a percentage. */
const MAX_BAR = 40;

/**
 * A progress bar titled `label` counting up to `total` (0: unknown yet;
 * the bar then shows only what was done).
 */
export function progressBar(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const minRedrawMs = options.minRedrawMs ?? 100;
  const unit = options.unit ?? 'count';
  const isDrawn = stream.isTTY === true;
  let done = 0;
  let lastDraw = -Infinity;
  let isShown = false;
  let isFinished = false;

  const draw = (): void => {
    lastDraw = now();
    isShown = true;
    stream.write(`${CLEAR_LINE}${progressLine(label, done, total, unit, stream.columns || DEFAULT_COLUMNS)}`);
  };

  return {
    update(nextDone, nextTotal) {
      if (isFinished) return;
      done = nextDone;
      if (nextTotal !== undefined) total = nextTotal;
      if (isDrawn && now() - lastDraw >= minRedrawMs) draw();
    },
    log(line) {
      if (!isDrawn) {
        stream.write(`${line}\n`);
        return;
      }
      stream.write(`${isShown ? CLEAR_LINE : ''}${line}\n`);
      if (isShown && !isFinished) draw();
    },
    finish() {
      if (isFinished) return;
      isFinished = true;
      // Nothing shown yet (the work failed or ended before its first update): nothing to leave on screen.
      if (!isShown) return;
      draw();
      stream.write('\n');
    },
  };
}

/** The bar's text for `columns` characters: label, bar, percentage and counts (the bar left out when there is no room). */
export function progressLine(label: string, done: number, total: number, unit: ProgressUnit, columns: number): string {
  const counts = total > 0 ? `${amount(done, unit)}/${amount(total, unit)}` : amount(done, unit);
  const percent = total > 0 ? `${String(Math.floor(Math.min(1, done / total) * 100)).padStart(3)}%` : '';
  const fixed = `${label} []  ${percent}  ${counts}`.length;
  const width = Math.min(MAX_BAR, columns - 1 - fixed);
  if (total <= 0 || width < MIN_BAR) return `${label}  ${percent ? `${percent}  ` : ''}${counts}`.slice(0, columns - 1);
  const filled = Math.round(Math.min(1, done / total) * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  ${percent}  ${counts}`;
}

/** `n` as the unit reads: 12,345 or 1.5 MiB. */
export function amount(n: number, unit: ProgressUnit): string {
  if (unit === 'count') return n.toLocaleString('en-US');
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return i === 0 ? `${value} B` : `${value.toFixed(1)} ${units[i]}`;
}
