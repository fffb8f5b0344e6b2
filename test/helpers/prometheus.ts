/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: its samples, and the `# TYPE` of each metric family. */
export interface Exposition {
  readonly samples: readonly Sample[];
  readonly types: ReadonlyMap<string, string>;
  /** The value of the one sample named `name` with these labels (all of them); undefined when there is none. */
  value(name: string, labels?: Readonly<Record<string, string>>): number | undefined;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (-?(?:[0-9.e+-]+|Inf)|NaN|\\+Inf)(?: -?[0-9]+)?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * Parses the Prometheus text exposition format (0.0.4) strictly: every
 * line is blank, a `# HELP`/`# TYPE` comment or a sample; throws naming the
 * first line that is none of these, a TYPE that is unknown or given twice,
 * or a sample of a family whose TYPE came after it.
 */
export function parsePrometheus(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type !== null) {
        if (!TYPES.has(type[2])) throw new Error(`line ${i + 1}: unknown type ${type[2]}`);
        if (types.has(type[1])) throw new Error(`line ${i + 1}: a second TYPE for ${type[1]}`);
        types.set(type[1], type[2]);
      } else if (!/^# HELP \S+ /.test(line) && !/^# /.test(line)) {
        throw new Error(`line ${i + 1}: not a comment: ${line}`);
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const [, name, labelText = '', valueText] = match;
    const family = familyOf(name, types);
    if (family === undefined) throw new Error(`line ${i + 1}: sample ${name} before its family's TYPE`);
    samples.push({ name, labels: parseLabels(labelText, i + 1), value: Number(valueText.replace('Inf', 'Infinity')) });
  }
  return {
    samples,
    types,
    value(name, labels = {}) {
      const wanted = Object.entries(labels);
      const found = samples.filter((s) => s.name === name && Object.keys(s.labels).length === wanted.length
        && wanted.every(([k, v]) => s.labels[k] === v));
      if (found.length > 1) throw new Error(`${found.length} samples ${name} ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
  };
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count|total|created)$/, '');
  return types.has(base) ? base : undefined;
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const match = LABEL.exec(rest);
    if (match === null) throw new Error(`line ${line}: bad labels {${text}}`);
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

/** GETs `/metrics` of the broker at `wsUrl` (ws:// → http://) and parses it; fails on a status other than 200. */
export async function scrape(wsUrl: string): Promise<Exposition> {
  const response = await fetch(`${wsUrl.replace(/^ws/, 'http')}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parsePrometheus(await response.text());
}
