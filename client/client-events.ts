import type { OrdoError } from '../broker/errors/index.js';
import type { Welcome } from '../broker/protocol/index.js';

/** The client's connection state, as one value. */
export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Events a client emits. */
export interface ClientEvents extends Record<string, unknown> {
  /** The first welcome. */
  connect: Welcome;
  /** A welcome after a lost connection; subscriptions have been renewed. */
  reconnect: Welcome;
  /** The connection was lost; `error` says why when the broker or the network said. */
  disconnect: { code: number; reason: string; error: OrdoError | undefined };
  /** A reconnect attempt is scheduled. */
  reconnecting: { attempt: number; delayMs: number };
  /** The client is closed for good; `error` when it gave up rather than was closed. */
  close: { error: OrdoError | undefined };
  /** An error no call can be told of: a handler threw, a publish was refused later. */
  error: unknown;
  state: ClientState;
}
