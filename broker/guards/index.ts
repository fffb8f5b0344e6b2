/**
 * guards/: quotas and resource watermarks [docs/security.md, docs/operations.md].
 *
 * Invariants:
 * - Backpressure, not loss: a publish quota or the in-flight limit pauses
 *   reading a connection's socket; operations already read are processed.
 *   A socket is resumed only when every reason it was paused for is lifted
 *   (ReadPauses), and always when its connection closes.
 * - Refusal, not silence: a resource alarm (memory high watermark, disk low
 *   watermark) refuses new messages with ERR_LIMIT naming the alarm; acks,
 *   nacks, consumes and subscribes still work so consumers can drain.
 * - Nothing here imports session/: connections own a ConnectionGuard and
 *   call it; the broker owns the ResourceAlarms and starts and stops them.
 */
export { TokenBucket } from './token-bucket.js';
export { ReadPauses } from './read-pauses.js';
export type { Pausable, PauseReason } from './read-pauses.js';
export { ConnectionGuard } from './connection-guard.js';
export type { ConnectionLimits, PrefetchHolder, Refusal } from './connection-guard.js';
export { ResourceAlarms } from './resource-alarms.js';
export type { AlarmSettings } from './resource-alarms.js';
export { MemoryWatch, memoryWatermark, MEMORY_SAMPLE_MS, DEFAULT_MEMORY_SHARE } from './memory-watch.js';
export { DiskWatch, freeBytes, DISK_SAMPLE_MS } from './disk-watch.js';
export { alarmLogTo } from './alarm-log.js';
export type { AlarmLog } from './alarm-log.js';
