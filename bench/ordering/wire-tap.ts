/**
 * A tap on every WebSocket of this process that uses the `ws` package (the
 * SDK's Node transport does): sees each binary message the SDK sends and
 * each one it receives, byte for byte as they travel, without changing them.
 * For the metadata run only, while nothing else runs in this process;
 * {@link installWireTap} returns the function that removes it.
 */
import { WebSocket } from 'ws';

export interface WireTapHandlers {
  /** A frame an SDK client sends to the broker. */
  sent(frame: Uint8Array): void;
  /** A frame an SDK client received from the broker. */
  received(frame: Uint8Array): void;
}

type Send = (this: WebSocket, data: unknown, ...rest: unknown[]) => void;
type Emit = (this: WebSocket, event: string | symbol, ...args: unknown[]) => boolean;

/** Wraps `WebSocket.prototype.send` and the `message` event; returns the undo. */
export function installWireTap(handlers: WireTapHandlers): () => void {
  const proto = WebSocket.prototype as unknown as { send: Send; emit: Emit };
  const send = proto.send;
  const emit = proto.emit;
  // emit is EventEmitter's, inherited: the undo removes the wrapper rather than shadowing it.
  const hasOwnEmit = Object.prototype.hasOwnProperty.call(proto, 'emit');
  proto.send = function (this: WebSocket, data: unknown, ...rest: unknown[]): void {
    if (data instanceof Uint8Array) handlers.sent(data);
    send.call(this, data, ...rest);
  };
  proto.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && args[0] instanceof Uint8Array) handlers.received(args[0]);
    return emit.call(this, event, ...args);
  };
  return () => {
    proto.send = send;
    if (hasOwnEmit) proto.emit = emit;
    else delete (proto as { emit?: Emit }).emit;
  };
}
