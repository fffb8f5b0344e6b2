/**
 * The Node-only SDK entry (`import { SqliteDedupStore } from 'ordo/node'`):
 * everything of the main entry, plus what needs Node (better-sqlite3). Kept
 * apart so that the main entry stays loadable in a browser.
 */
export * from './index.js';
export { SqliteDedupStore } from './dedup/sqlite-store.js';
export type { SqliteDedupStoreOptions } from './dedup/sqlite-store.js';
