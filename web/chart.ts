import { axis } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 220;
const PAD = { left: 52, right: 16, top: 14, bottom: 26 };
/** Most gaps between grid lines: the step is the smallest round one that covers the data in this many. */
const MAX_GRID_STEPS = 5;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/**
 * The y axis for values up to `n`: a round step (1, 2 or 5 × 10ⁿ) and the
 * top, a whole number of steps (at most 5) at or above `n` (and 10), so
 * every grid line has a round label: 0, 50, 100 … 250, never 62.5.
 */
export function niceScale(n: number): { top: number; step: number } {
  const least = Math.max(n, 10);
  const rough = least / MAX_GRID_STEPS;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  return { top: Math.ceil(least / step) * step, step };
}

/** One line of the chart; its colour comes from the stylesheet (`.series-<name>`). */
interface Line {
  values: number[];
  area: SVGPathElement;
  path: SVGPathElement;
}

/**
 * A hand-drawn SVG line chart of the last `capacity` samples of a few
 * series (one a second: messages in and out per second), newest at the
 * right, drawn at the width of its container.
 */
export class LineChart {
  readonly element: SVGSVGElement;
  private readonly grid = svg('g', { class: 'grid' });
  private readonly lines: Line[];

  constructor(private readonly capacity: number, names: string[], private readonly secondsPerSample = 1) {
    this.element = svg('svg', { class: 'chart', height: String(HEIGHT), role: 'img', 'aria-label': 'message rates' });
    this.element.append(this.grid);
    this.lines = names.map((name) => {
      const area = svg('path', { class: `area series-${name}` });
      const path = svg('path', { class: `line series-${name}` });
      this.element.append(area, path);
      return { values: [], area, path };
    });
  }

  /** Adds one sample per series (in the order of `names`), dropping the oldest past capacity. */
  push(...samples: number[]): void {
    this.lines.forEach((line, i) => {
      line.values.push(samples[i] ?? 0);
      if (line.values.length > this.capacity) line.values.shift();
    });
  }

  /** Redraws at the container's current width (nothing while it is hidden). */
  draw(): void {
    const width = this.element.parentElement?.clientWidth ?? 0;
    if (width === 0) return;
    this.element.setAttribute('width', String(width));
    this.element.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const { top, step } = niceScale(Math.max(0, ...this.lines.flatMap((l) => l.values)));
    const x = (i: number, n: number): number => PAD.left + plotW * (this.capacity - n + i) / (this.capacity - 1);
    const y = (v: number): number => PAD.top + plotH * (1 - v / top);
    this.drawGrid(width, top, step, y);
    for (const line of this.lines) {
      const n = line.values.length;
      if (n < 2) continue;
      const points = line.values.map((v, i) => `${x(i, n).toFixed(1)},${y(v).toFixed(1)}`);
      line.path.setAttribute('d', `M${points.join('L')}`);
      line.area.setAttribute('d', `M${x(0, n).toFixed(1)},${y(0)}L${points.join('L')}L${x(n - 1, n).toFixed(1)},${y(0)}Z`);
    }
  }

  private drawGrid(width: number, top: number, step: number, y: (v: number) => number): void {
    const parts: SVGElement[] = [];
    for (let i = 0; i * step <= top; i++) {
      const v = i * step;
      const at = y(v).toFixed(1);
      parts.push(svg('line', { x1: String(PAD.left), x2: String(width - PAD.right), y1: at, y2: at, class: i === 0 ? 'axis' : '' }));
      const label = svg('text', { x: String(PAD.left - 8), y: at, 'text-anchor': 'end', 'dominant-baseline': 'middle' });
      label.textContent = axis(v);
      parts.push(label);
    }
    const span = Math.round(((this.capacity - 1) * this.secondsPerSample) / 60);
    const ticks: [number, string][] = [[0, `${span} min ago`], [0.5, `${span / 2} min ago`], [1, 'now']];
    for (const [f, text] of ticks) {
      const label = svg('text', {
        x: String(PAD.left + (width - PAD.left - PAD.right) * f), y: String(HEIGHT - 6),
        'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle',
      });
      label.textContent = text;
      parts.push(label);
    }
    this.grid.replaceChildren(...parts);
  }
}
