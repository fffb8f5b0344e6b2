/**
 * Topic trie throughput: how many topics per second TopicTrie.match() can
 * route with a realistic subscription set. Called from the main bench; it
 * prints nothing and asserts nothing (speed is measured, never tested).
 */
import { TopicTrie } from '../broker/topics/index.js';

/** Options for {@link benchTrie}. */
export interface TrieBenchOptions {
  /** Subscriptions to register. Default 100,000. */
  subscriptions?: number;
  /** How long to match topics for, in milliseconds. Default 1000. */
  durationMs?: number;
  /** Seed for the generated patterns and topics, so runs are comparable. Default 1. */
  seed?: number;
}

/** What {@link benchTrie} measured. */
export interface TrieBenchResult {
  /** Subscriptions registered. */
  subscriptions: number;
  /** Topics matched per second. */
  matchesPerSec: number;
  /** Mean number of subscriptions each topic matched. */
  avgMatchedPerTopic: number;
  /** Time to add every subscription, in milliseconds. */
  buildMs: number;
}

const DOMAINS = ['orders', 'payments', 'users', 'inventory', 'shipping', 'billing', 'audit', 'metrics', 'alerts', 'sessions'];
const REGIONS = ['eu', 'us', 'ap', 'sa', 'af', 'me'];
const EVENTS = ['created', 'updated', 'deleted', 'shipped', 'paid', 'failed', 'retried', 'closed'];
const VERSIONS = ['v1', 'v2', 'v3'];
/** Distinct entity ids per (domain, region): sets how often topics hit literal subscriptions. */
const IDS = 2_000;
/** Pre-generated topics, cycled through so generation is not measured. */
const TOPIC_POOL = 16_384;
/** Matches between clock reads; reading the clock per match would dominate. */
const BATCH = 1_024;

/** mulberry32: a small seeded PRNG, so the bench is reproducible across runs. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Levels of a topic like `orders/eu/123/created` or `orders/eu/123/created/v2`. */
function randomLevels(random: () => number): string[] {
  const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)];
  const levels = [pick(DOMAINS), pick(REGIONS), String(Math.floor(random() * IDS))];
  const extra = Math.floor(random() * 3); // 3 to 5 levels
  if (extra >= 1) levels.push(pick(EVENTS));
  if (extra >= 2) levels.push(pick(VERSIONS));
  return levels;
}

/**
 * A subscription pattern: about 90% literal, 8% with one `+` below the
 * domain level (`orders/+/123/created`, `orders/eu/+/paid`: one event kind
 * across regions or ids) and 2% ending in `#` after two or three levels
 * (`orders/eu/#`: a regional tap). Few broad taps, as in practice: a
 * thousand `orders/#` subscribers would measure fan-out, not the trie.
 */
function randomPattern(random: () => number): string {
  const levels = randomLevels(random);
  const kind = random();
  if (kind < 0.9) return levels.join('/');
  if (kind < 0.98) {
    levels[1 + Math.floor(random() * (levels.length - 1))] = '+';
    return levels.join('/');
  }
  const keep = 2 + Math.floor(random() * 2);
  return [...levels.slice(0, keep), '#'].join('/');
}

/**
 * Builds a trie of `subscriptions` patterns, then matches random topics from
 * the same distribution for `durationMs` and reports the rate.
 */
export function benchTrie(opts: TrieBenchOptions = {}): TrieBenchResult {
  const subscriptions = opts.subscriptions ?? 100_000;
  const durationMs = opts.durationMs ?? 1_000;
  const random = seededRandom(opts.seed ?? 1);

  const patterns = Array.from({ length: subscriptions }, () => randomPattern(random));
  const topics = Array.from({ length: TOPIC_POOL }, () => randomLevels(random).join('/'));

  const trie = new TopicTrie<number>();
  const buildStart = performance.now();
  for (let i = 0; i < subscriptions; i++) trie.add(patterns[i], i);
  const buildMs = performance.now() - buildStart;

  const out: number[] = [];
  let matches = 0;
  let matchedTotal = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < BATCH; i++) {
      out.length = 0;
      trie.match(topics[(matches + i) % TOPIC_POOL], out);
      matchedTotal += out.length;
    }
    matches += BATCH;
    elapsed = performance.now() - start;
  }

  return {
    subscriptions,
    matchesPerSec: Math.round((matches * 1_000) / elapsed),
    avgMatchedPerTopic: matchedTotal / matches,
    buildMs,
  };
}

/** A small text table of a {@link TrieBenchResult}, for the bench report. */
export function formatTrieBench(r: TrieBenchResult): string {
  const rows: [string, string][] = [
    ['subscriptions', r.subscriptions.toLocaleString('en-US')],
    ['build', `${r.buildMs.toFixed(1)} ms`],
    ['match rate', `${r.matchesPerSec.toLocaleString('en-US')} topics/s`],
    ['avg matched', `${r.avgMatchedPerTopic.toFixed(2)} subs/topic`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return ['topic trie', ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n');
}
