import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../broker/config/index.js';
import { ERRORS, type ErrorCode, type ErrorSpec } from '../../broker/errors/index.js';
import {
  BrokerOp, ClientOp, FrameBuilder, MessageTailEncoder, PROTOCOL_VERSION, decodeFrame, encodeFrame, encodeValue,
} from '../../broker/protocol/index.js';
import { ERRORS as CLIENT_ERRORS, OrdoError } from '../../client/index.js';

/**
 * Keeps docs/ and the code in step: the error catalogue, the operation codes
 * and the settings each have one source of truth in the code, and the docs
 * must list exactly them. Also checks that every `[protocol x.y]` and
 * `[semantics x.y]` cited in the code names a clause the docs define.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readDoc = (name: string): string => readFileSync(join(ROOT, 'docs', name), 'utf8');
const protocol = readDoc('protocol.md');
const semantics = readDoc('semantics.md');
const operations = readDoc('operations.md');

const CODES = Object.keys(ERRORS) as ErrorCode[];

/** The cells of a Markdown table row, trimmed, without the outer pipes. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

/**
 * The body rows of the one table in `doc` whose header row has exactly these
 * cells, as arrays of cells. Fails when there is no such table, or several.
 */
function table(doc: string, header: string[]): string[][] {
  const lines = doc.split('\n');
  const starts = lines.flatMap((line, i) => (line.trim().startsWith('|') && cells(line).join('|') === header.join('|') ? [i] : []));
  expect(starts, `one table headed | ${header.join(' | ')} |`).toHaveLength(1);
  const rows: string[][] = [];
  for (let i = starts[0] + 2; i < lines.length && lines[i].trim().startsWith('|'); i++) rows.push(cells(lines[i]));
  return rows;
}

/** Every setting of DEFAULT_CONFIG as [dotted key, default value]. */
function flatten(obj: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(obj).flatMap(([key, value]): [string, unknown][] =>
    typeof value === 'object' && value !== null
      ? flatten(value as Record<string, unknown>, `${prefix}${key}.`)
      : [[`${prefix}${key}`, value]]);
}

/** Clause ids a doc defines: `## 2. … [protocol 2]` defines 2, `### 2.3 …` defines 2.3. */
function definedClauses(doc: string): Set<string> {
  const ids = new Set<string>();
  for (const m of doc.matchAll(/^## (\d+)\. /gm)) ids.add(m[1]);
  for (const m of doc.matchAll(/^### (\d+\.\d+) /gm)) ids.add(m[1]);
  return ids;
}

/** Every `[kind x.y, …]` cited in the .ts files under `dirs`, with where it was cited. */
function citedClauses(kind: 'protocol' | 'semantics', dirs: string[]): { id: string; where: string }[] {
  const found: { id: string; where: string }[] = [];
  const pattern = new RegExp(`\\[${kind} ([\\d.]+(?:, *[\\d.]+)*)\\]`, 'g');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(pattern)) {
          for (const id of m[1].split(',')) found.push({ id: id.trim(), where: path.slice(ROOT.length) });
        }
      }
    }
  };
  for (const dir of dirs) walk(join(ROOT, dir));
  return found;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

describe('docs/protocol.md and the error catalogue', () => {
  const rows = table(protocol, ['code', 'meaning', 'fatal', 'retryable', 'close status', 'origin']);
  const documented = rows.map((r) => r[0].replace(/`/g, ''));

  it('lists every catalogued code in the error table, once', () => {
    expect([...documented].sort()).toEqual([...CODES].sort());
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('gives each code the catalogue\'s message, fatal, retryable, close status and origin', () => {
    for (const [code, meaning, fatal, retryable, close, origin] of rows) {
      const name = code.replace(/`/g, '') as ErrorCode;
      const spec: ErrorSpec | undefined = ERRORS[name];
      expect(spec, `${name} in the table is not in the catalogue`).toBeDefined();
      expect(code, 'codes are written as `ERR_…`').toBe(`\`${name}\``);
      expect({ name, meaning, fatal, retryable, close, origin }).toEqual({
        name,
        meaning: spec.message,
        fatal: yesNo(spec.fatal),
        retryable: yesNo(spec.retryable),
        close: spec.closeCode === undefined ? '—' : String(spec.closeCode),
        origin: spec.origin,
      });
    }
  });

  it('mentions no error code, in any doc, that the catalogue lacks', () => {
    for (const [name, doc] of [['protocol.md', protocol], ['semantics.md', semantics], ['operations.md', operations]]) {
      const mentioned = new Set([...doc.matchAll(/\bERR_[A-Z0-9_]*/g)].map((m) => m[0]));
      const unknown = [...mentioned].filter((code) => !(code in ERRORS));
      expect(unknown, `unknown codes in docs/${name}`).toEqual([]);
    }
  });

  it('lists every fatal code beside its close status in the close-status table [protocol 1.3]', () => {
    const statuses = table(protocol, ['status', 'meaning', 'error code']);
    for (const code of CODES) {
      const spec: ErrorSpec = ERRORS[code];
      if (!spec.fatal) continue;
      const row = statuses.find((r) => r[0] === String(spec.closeCode));
      expect(row, `a row for close status ${spec.closeCode}`).toBeDefined();
      expect(row![2], `close status ${spec.closeCode} names ${code}`).toContain(`\`${code}\``);
    }
  });
});

describe('docs/protocol.md and the operation codes', () => {
  const rows = table(protocol, ['code', 'operation', 'direction', 'answered by', 'clause']);
  const ops: [string, number, string][] = [
    ...Object.entries(ClientOp).map(([name, code]): [string, number, string] => [name, code, 'client → broker']),
    ...Object.entries(BrokerOp).map(([name, code]): [string, number, string] => [name, code, 'broker → client']),
  ];

  it('lists every operation with its code and direction, and no other', () => {
    const documented = rows.map((r) => [r[1].replace(/`/g, ''), Number(r[0]), r[2]]);
    expect([...documented].sort()).toEqual([...ops].sort());
  });

  it('has a clause heading naming each operation and its code', () => {
    const headings = protocol.split('\n').filter((l) => /^### 2\.\d+ /.test(l));
    for (const [name, code] of ops) {
      const label = `${name.toUpperCase()} (${code})`;
      expect(headings.some((h) => h.includes(label)), `a 2.x heading with ${label}`).toBe(true);
    }
  });

  it('documents the protocol version the code speaks', () => {
    expect(protocol.split('\n')[0]).toBe(`# Ordo wire protocol, version ${PROTOCOL_VERSION}`);
  });
});

describe('docs/protocol.md worked example [protocol 6]', () => {
  /** The bytes of the first code block after `label`, written as hex pairs. */
  function documentedBytes(label: string): string {
    const at = protocol.indexOf(label);
    expect(at, label).toBeGreaterThan(-1);
    const block = /```\n([0-9a-f \n]+)```/.exec(protocol.slice(at));
    expect(block, `a hex block after ${label}`).not.toBeNull();
    return block![1].trim().split(/\s+/).join(' ');
  }
  const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const payload = encodeValue('hi').slice();

  it('shows the HELLO frame the codec encodes', () => {
    expect(documentedBytes('**HELLO frame**')).toBe(hex(encodeFrame([[ClientOp.hello, { version: [1], clientId: 'demo' }]])));
  });

  it('shows the PUBLISH frame the codec encodes', () => {
    expect(documentedBytes('**PUBLISH frame**')).toBe(hex(encodeFrame([[ClientOp.publish, 0, 'a/b/c', payload, null]])));
  });

  it('shows the MESSAGE frame the broker builds, and it decodes to the documented delivery', () => {
    const builder = new FrameBuilder(64);
    builder.appendMessage(1, new MessageTailEncoder().encode('a/b/c', payload, null, null, 1, 1_700_000_000_000));
    const documented = documentedBytes('**MESSAGE frame**');
    expect(documented).toBe(hex(builder.take()));
    const bytes = Uint8Array.from(documented.split(' ').map((h) => parseInt(h, 16)));
    const [op] = decodeFrame(bytes) as unknown[][];
    expect([op[0], op[1], op[2], hex(op[3] as Uint8Array), op[4], op[5], op[6], op[7]])
      .toEqual([BrokerOp.message, 1, 'a/b/c', 'a2 68 69', null, null, 1, 1_700_000_000_000]);
  });
});

describe('docs/operations.md and the settings', () => {
  const rows = table(operations, ['setting', 'default', 'range', 'reason for the default']);
  const settings = flatten(DEFAULT_CONFIG as unknown as Record<string, unknown>);

  it('lists every setting with its default, and no other', () => {
    const documented = rows.map((r) => r[0].replace(/`/g, ''));
    expect([...documented].sort()).toEqual(settings.map(([key]) => key).sort());
    for (const [key, value] of settings) {
      const row = rows.find((r) => r[0] === `\`${key}\``)!;
      expect(row[1], `default of ${key}`).toMatch(new RegExp(`^\`${escape(JSON.stringify(value))}\``));
      expect(row[3].length, `a reason for the default of ${key}`).toBeGreaterThan(20);
    }
  });
});

describe('the client SDK and the error catalogue', () => {
  it('exports the same catalogue as the broker', () => {
    expect(CLIENT_ERRORS).toBe(ERRORS);
  });

  it('rebuilds every broker-origin code from the wire, keeping code, message and request id', () => {
    const brokerCodes = CODES.filter((code) => ERRORS[code].origin === 'broker');
    expect(brokerCodes.length).toBeGreaterThan(0);
    for (const code of brokerCodes) {
      const err = OrdoError.fromWire(code, `wire text for ${code}`, 42);
      expect(err).toBeInstanceOf(OrdoError);
      expect(err.code).toBe(code);
      expect(err.message).toBe(`wire text for ${code}`);
      expect(err.requestId).toBe(42);
      expect(err.isFatal).toBe(ERRORS[code].fatal);
      expect(err.isRetryable).toBe(ERRORS[code].retryable);
    }
  });
});

describe('clause ids cited in the code', () => {
  const sources = ['broker', 'client', 'cli', 'bench'];

  it.each([
    ['protocol', protocol],
    ['semantics', semantics],
  ] as const)('every [%s x.y] names a clause that docs define', (kind, doc) => {
    const defined = definedClauses(doc);
    const missing = citedClauses(kind, sources).filter(({ id }) => !defined.has(id));
    expect(missing).toEqual([]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
