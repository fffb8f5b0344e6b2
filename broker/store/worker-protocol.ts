/**
 * What SqliteStore (the broker's thread) and sqlite-worker.ts say to each
 * other: requests, replies, and the errors that cross between them with
 * their code. Only types and small helpers: both sides import it.
 */
import type { ErrorCode } from '../errors/index.js';
import type { Durability, RetentionLimits } from './store.js';

/** What the main thread asks; `id` pairs the reply. */
export type WorkerRequest = { readonly id: number } & (
  | { readonly kind: 'open'; readonly file: string | null; readonly durability: Durability }
  /** `bytes`, transferred: the batches as OpEncoder wrote them, in its first `length` bytes. */
  | { readonly kind: 'commit'; readonly bytes: ArrayBuffer; readonly length: number; readonly sync: boolean }
  | { readonly kind: 'getMessages'; readonly ids: readonly number[] }
  | { readonly kind: 'getRetained'; readonly patterns: readonly string[] }
  | { readonly kind: 'replay'; readonly topic: string; readonly from: { readonly id: number } | { readonly time: number }; readonly limit: number }
  | { readonly kind: 'compact'; readonly retention: RetentionLimits; readonly now: number }
  | { readonly kind: 'topics'; readonly prefix: string; readonly limit: number }
  /** Copies the WAL into the database file as far as readers allow (the inline connection never does). */
  | { readonly kind: 'checkpoint' }
  | { readonly kind: 'backup'; readonly path: string }
  | { readonly kind: 'recover' }
  | { readonly kind: 'close' }
);

/** The answer to one request; a commit's value is a {@link CommitResult}. */
export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** A failed op or batch, with the code the caller gets. */
export class StoreFault extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/** A batch of a commit that did not apply. */
export interface BatchFailure {
  /** Its position in the commit request. */
  readonly index: number;
  readonly code: ErrorCode;
  readonly message: string;
}

/** What one commit request did. */
export interface CommitResult {
  /** Ops in the batches that committed. */
  readonly ops: number;
  /** Batches that committed (together, in one transaction). */
  readonly batches: number;
  /** Batches that did not, each rolled back whole; empty on the usual path. */
  readonly failed: readonly BatchFailure[];
  /** Whether the transaction was fsynced. */
  readonly synced: boolean;
}

/** The message of any thrown value. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
