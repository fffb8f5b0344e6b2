import { OrdoError } from '../errors/index.js';
import { DEFAULT_CONFIG, MAP_SETTINGS } from './defaults.js';
import type { ConfigSource } from './parse-config.js';

/**
 * The broker's settings as environment variables [docs/operations.md,
 * section 2]: every setting has one, named from its path (`ORDO_` and the
 * path in upper snake case), typed by its default.
 */

/** How a variable's text becomes a value: as its default's type. */
export type EnvKind = 'string' | 'number' | 'boolean' | 'list' | 'map';

/** A setting and the variable that sets it. */
export interface EnvSetting {
  /** `ORDO_LIMITS_MAX_FRAME_BYTES` */
  readonly variable: string;
  /** `limits.maxFrameBytes` */
  readonly field: string;
  readonly kind: EnvKind;
}

/**
 * Variables named ORDO_… that are not settings: the client commands'
 * (`--url` and the login and TLS flags), the first start's admin password,
 * `ordo user passwd`'s new password, and the config file's path.
 */
export const NON_SETTING_VARIABLES: readonly string[] = [
  'ORDO_URL', 'ORDO_USER', 'ORDO_PASSWORD', 'ORDO_TOKEN', 'ORDO_CA', 'ORDO_CERT', 'ORDO_KEY',
  'ORDO_ADMIN_PASSWORD', 'ORDO_NEW_PASSWORD', 'ORDO_CONFIG',
];

/** The variable of a setting: `limits.maxFrameBytes` → `ORDO_LIMITS_MAX_FRAME_BYTES`. */
export function envName(field: string): string {
  return `ORDO_${field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase()}`;
}

/** Every setting's variable, in the order of the defaults. */
export const ENV_SETTINGS: readonly EnvSetting[] = settingsOf(DEFAULT_CONFIG, '');

/** `ORDO_LIMITS`, `ORDO_AUTH`, …: a variable that starts with one of these (and `_`) must name a setting. */
const SECTION_VARIABLES: readonly string[] = Object.entries(DEFAULT_CONFIG)
  .filter(([key, value]) => kindOf(key, value) === undefined)
  .map(([key]) => envName(key));

const BY_VARIABLE = new Map(ENV_SETTINGS.map((s) => [s.variable, s]));

/**
 * The settings that `env` gives, as a config source whose errors name the
 * variable. A value that does not read as its setting's type, or an
 * `ORDO_<SECTION>…` variable that names no setting (a typo), throws
 * ERR_BAD_CONFIG naming the variable. Other variables are ignored.
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): ConfigSource {
  const input: Record<string, unknown> = {};
  const variableOf = new Map<string, string>();
  for (const [variable, text] of Object.entries(env)) {
    if (text === undefined || !variable.startsWith('ORDO_')) continue;
    const setting = BY_VARIABLE.get(variable);
    if (setting === undefined) {
      checkNotMisspelt(variable);
      continue;
    }
    setPath(input, setting.field, valueOf(setting, text));
    variableOf.set(setting.field, variable);
  }
  return {
    input,
    origin: (field) => {
      // A map's entry (`ordering.scopes.orders`) comes from the map's variable.
      const found = [...variableOf].find(([f]) => field === f || field.startsWith(`${f}.`));
      return found === undefined ? undefined : `from ${found[1]}`;
    },
  };
}

/** Sets `input.a.b` for the field `a.b`, making the objects on the way. */
export function setPath(input: Record<string, unknown>, field: string, value: unknown): void {
  const keys = field.split('.');
  let at = input;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
}

function checkNotMisspelt(variable: string): void {
  if (NON_SETTING_VARIABLES.includes(variable)) return;
  const section = SECTION_VARIABLES.find((s) => variable === s || variable.startsWith(`${s}_`));
  if (section === undefined) return;
  const names = ENV_SETTINGS.filter((s) => s.variable.startsWith(`${section}_`)).map((s) => s.variable);
  const nearest = names.reduce((best, name) => (editDistance(variable, name) < editDistance(variable, best) ? name : best));
  if (editDistance(variable, nearest) <= MAX_TYPO_EDITS) bad(variable, `is not a setting (did you mean ${nearest}?)`);
  bad(variable, `is not a setting; the ${section}_ settings are ${names.join(', ')}`);
}

/** A name this close to a setting's is taken for a misspelling of it. */
const MAX_TYPO_EDITS = 2;

/** Levenshtein distance: the fewest one-character edits that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

function valueOf(setting: EnvSetting, text: string): unknown {
  switch (setting.kind) {
    case 'string':
      return text;
    case 'number': {
      const n = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(n)) bad(setting.variable, `must be a number, got ${JSON.stringify(text)}`);
      return n;
    }
    case 'boolean': {
      const word = text.trim().toLowerCase();
      if (word === 'true' || word === '1') return true;
      if (word === 'false' || word === '0') return false;
      return bad(setting.variable, `must be true, false, 1 or 0, got ${JSON.stringify(text)}`);
    }
    case 'list':
      return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'map':
      return jsonObject(setting.variable, text);
  }
}

function jsonObject(variable: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    bad(variable, `must be a JSON object such as {"orders":"orders/#"}: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    bad(variable, `must be a JSON object such as {"orders":"orders/#"}, got ${text}`);
  }
  return value as Record<string, unknown>;
}

function bad(variable: string, reason: string): never {
  throw new OrdoError('ERR_BAD_CONFIG', `environment variable ${variable} ${reason}`);
}

function settingsOf(shape: object, path: string): EnvSetting[] {
  return Object.entries(shape).flatMap(([key, value]) => {
    const field = path === '' ? key : `${path}.${key}`;
    const kind = kindOf(field, value);
    return kind === undefined ? settingsOf(value as object, field) : [{ variable: envName(field), field, kind }];
  });
}

/** The kind of a setting's variable, from its default; undefined for a section (an object of settings). */
function kindOf(field: string, value: unknown): EnvKind | undefined {
  if (MAP_SETTINGS.has(field)) return 'map';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object' && value !== null) return undefined;
  return typeof value as 'string' | 'number' | 'boolean';
}
