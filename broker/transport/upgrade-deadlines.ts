import type { Socket } from 'node:net';

/**
 * Closes sockets that have not completed the WebSocket upgrade within a
 * deadline counted from the TCP connect, covering the TLS handshake and the
 * HTTP request (a slowloris that connects and sends nothing, or half a
 * request). Node's own headersTimeout is checked only every
 * connectionsCheckingInterval and does not cover TLS, hence a timer per socket.
 *
 * Sockets are keyed by their remote `address:port`: with TLS the upgrade hands
 * over the TLSSocket, not the TCP socket the deadline was set on, and the
 * remote endpoint is what both share (unique per live connection to one port).
 */
export class UpgradeDeadlines {
  private readonly pending = new Map<string, { socket: Socket; timer: ReturnType<typeof setTimeout> }>();

  /** `timeoutMs`: limits.handshakeTimeoutMs. */
  constructor(private readonly timeoutMs: number) {}

  /** Sockets still waiting for their upgrade. */
  get size(): number {
    return this.pending.size;
  }

  /** Starts the deadline of a just-accepted TCP socket (the server's 'connection' event). */
  watch(socket: Socket): void {
    const key = keyOf(socket);
    if (key === undefined) {
      socket.destroy(); // already gone: nothing to wait for
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(key);
      socket.destroy();
    }, this.timeoutMs);
    this.pending.set(key, { socket, timer });
    socket.once('close', () => {
      // Only this socket's entry: a later connection may reuse the port once this one is gone.
      if (this.pending.get(key)?.socket !== socket) return;
      clearTimeout(this.pending.get(key)!.timer);
      this.pending.delete(key);
    });
  }

  /** The socket (or the TLSSocket over it) completed the upgrade: from here the connection's HELLO timeout applies. */
  release(socket: Socket): void {
    const key = keyOf(socket);
    const entry = key === undefined ? undefined : this.pending.get(key);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.pending.delete(key!);
  }

  /** Stops every timer and closes the sockets still waiting (broker shutdown). */
  closeAll(): void {
    for (const { socket, timer } of this.pending.values()) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.pending.clear();
  }
}

function keyOf(socket: Socket): string | undefined {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress === undefined || remotePort === undefined ? undefined : `${remoteAddress}:${remotePort}`;
}
