/** How the console writes numbers, rates, sizes and durations. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** A count with thousands separators: 12,345. */
export function count(n: number): string {
  return integer.format(n);
}

/** Messages per second: one decimal below 10, whole above, compact past 100,000 (1.2M). */
export function rate(n: number): string {
  if (n === 0) return '0';
  if (n < 10) return oneDecimal.format(n);
  return n < 100_000 ? integer.format(n) : compact.format(n);
}

/** A count for an axis label: 0, 500, 1.5K, 2M. */
export function axis(n: number): string {
  return compact.format(n);
}

/** Bytes as B, KiB, MiB or GiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : oneDecimal.format(n)} ${units[i]}`;
}

/** A duration in ms, as its two largest units: 450 ms, 12 s, 3 m 20 s, 5 h 2 m, 2 d 4 h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const parts: [number, string][] = [[Math.floor(s / 86_400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']];
  const first = parts.findIndex(([v]) => v > 0);
  return parts.slice(first, first + 2).filter(([v]) => v > 0).map(([v, u]) => `${v} ${u}`).join(' ');
}

/** An age that may be unknown: '—' for null. */
export function age(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : duration(ms);
}
