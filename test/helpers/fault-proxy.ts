import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';

/**
 * A fault-injecting TCP proxy for the fault tests: clients connect to
 * 127.0.0.1:`port`, each connection is forwarded to 127.0.0.1:`target`, and
 * on the way the proxy
 * - delays every chunk by a random 0–`maxDelayMs` ms, keeping the order of
 *   each direction (a chunk never leaves before the one received before it);
 * - severs connections at random (destroys both sides at once);
 * - "drops" at random: stalls a connection (forwards nothing either way for
 *   `stallMs`), then severs it. TCP never loses bytes in the middle of a
 *   stream, so lost bytes can only mean a connection that dies; a stall
 *   first makes the peers wait on data that never comes (heartbeats, confirms).
 *
 * Faults hit each connection after an exponentially distributed time with
 * mean `meanFaultMs` (a rate, independent of traffic). The target can change
 * while running (`setTarget`): a restarted broker may listen on a new port,
 * and connections made after that go there. The proxy ends by itself after
 * `maxLifetimeMs` (an unref'd timer), so a failed test cannot leave it behind.
 */

/** Options of startFaultProxy. */
export interface FaultProxyOptions {
  /** Port on 127.0.0.1 to forward to (changeable with setTarget). */
  target: number;
  /** Largest random delay of a chunk, in ms (0 to disable). Default 0. */
  maxDelayMs?: number;
  /** Mean time between faults of one connection, in ms. Default Infinity (no faults until setFaults/sever). */
  meanFaultMs?: number;
  /** Share of faults that are stalls ("drops") rather than immediate severs, 0–1. Default 0.3. */
  stallShare?: number;
  /** How long a stalled connection stays silent before it is severed, in ms. Default 1000. */
  stallMs?: number;
  /** The proxy closes itself (and every connection) after this many ms. Default 180000. */
  maxLifetimeMs?: number;
  /** Random numbers in [0, 1), for a replayable run. Default Math.random. */
  random?: () => number;
  /**
   * Called at each random fault as it begins: `stall` when a connection goes
   * silent (its sever follows `stallMs` later), `sever` when one is cut at
   * once. For a failure's timeline. Default none.
   */
  onFault?: (kind: 'stall' | 'sever') => void;
}

/** What the proxy has done so far. */
export interface FaultProxyStats {
  /** Client connections accepted. */
  connections: number;
  /** Connections severed (by a random fault, a stall's end, or sever()); each counted once. */
  severed: number;
  /** Connections stalled (a subset of `severed` once their stall ends). */
  stalled: number;
  /** Connections that could not reach the target (the broker was down). */
  refused: number;
  /** Bytes forwarded client→target and target→client. */
  bytesUp: number;
  bytesDown: number;
}

export interface FaultProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  readonly stats: Readonly<FaultProxyStats>;
  /** Connections currently open. */
  readonly open: number;
  /** Sends new connections to `port` (open ones stay where they are). */
  setTarget(port: number): void;
  /** Random faults every `meanFaultMs` per connection on average from now on; null turns them off (delays stay). */
  setFaults(meanFaultMs: number | null): void;
  /** Severs every open connection now; resolves with how many. */
  severAll(): number;
  /** Stops listening, severs every connection; idempotent. */
  close(): Promise<void>;
}

/** Chunks one direction of a link holds (delayed) before it stops reading from its source. */
const MAX_QUEUED_CHUNKS = 64;

/** One connection: client side, target side, and the faults scheduled for it. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  isStalled: boolean;
  isDead: boolean;
  faultTimer?: ReturnType<typeof setTimeout>;
}

/** Starts a proxy on 127.0.0.1, port 0, forwarding to 127.0.0.1:`options.target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const random = options.random ?? Math.random;
  const maxDelayMs = options.maxDelayMs ?? 0;
  const stallShare = options.stallShare ?? 0.3;
  const stallMs = options.stallMs ?? 1000;
  let meanFaultMs = options.meanFaultMs ?? Infinity;
  let target = options.target;
  let areFaultsOn = Number.isFinite(meanFaultMs);
  let isClosed = false;
  const links = new Set<Link>();
  const stats: FaultProxyStats = { connections: 0, severed: 0, stalled: 0, refused: 0, bytesUp: 0, bytesDown: 0 };

  const sever = (link: Link): void => {
    if (link.isDead) return;
    link.isDead = true;
    clearTimeout(link.faultTimer);
    links.delete(link);
    link.client.destroy();
    link.upstream.destroy();
  };

  const scheduleFault = (link: Link): void => {
    clearTimeout(link.faultTimer);
    if (!areFaultsOn || link.isDead) return;
    const afterMs = Math.min(-Math.log(1 - random()) * meanFaultMs, 2 ** 31 - 1);
    link.faultTimer = setTimeout(() => {
      if (random() < stallShare) {
        link.isStalled = true;
        stats.stalled++;
        options.onFault?.('stall');
        link.faultTimer = setTimeout(() => { stats.severed++; sever(link); }, stallMs);
      } else {
        stats.severed++;
        options.onFault?.('sever');
        sever(link);
      }
    }, afterMs);
  };

  const server: Server = createServer({ noDelay: true }, (client) => {
    stats.connections++;
    const upstream = tcpConnect({ host: '127.0.0.1', port: target, noDelay: true });
    const link: Link = { client, upstream, isStalled: false, isDead: false };
    links.add(link);
    let hasReachedTarget = false;
    upstream.once('connect', () => { hasReachedTarget = true; });
    // Either side ending or failing ends the link: half-open connections are not a fault we inject.
    for (const socket of [client, upstream]) {
      socket.on('error', () => {
        if (socket === upstream && !hasReachedTarget) stats.refused++;
        sever(link);
      });
      socket.on('close', () => sever(link));
    }
    pipe(link, client, upstream, (n) => { stats.bytesUp += n; });
    pipe(link, upstream, client, (n) => { stats.bytesDown += n; });
    scheduleFault(link);
  });

  /** Forwards `from` → `to` with the random delay, in order, pausing `from` while `to` or the queue is full. */
  const pipe = (link: Link, from: Socket, to: Socket, count: (n: number) => void): void => {
    const queue: { at: number; chunk: Buffer }[] = [];
    let lastAt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      clearTimeout(timer);
      timer = undefined;
      if (link.isDead || link.isStalled) return;
      const now = Date.now();
      while (queue.length > 0 && queue[0].at <= now && !to.writableNeedDrain) {
        const { chunk } = queue.shift()!;
        count(chunk.length);
        to.write(chunk);
      }
      if (to.writableNeedDrain) return; // 'drain' flushes again
      if (queue.length > 0) timer = setTimeout(flush, queue[0].at - now);
      if (queue.length <= MAX_QUEUED_CHUNKS) from.resume();
    };
    to.on('drain', flush);
    from.on('data', (chunk: Buffer) => {
      if (link.isDead || link.isStalled) return; // a stalled link is dying: what arrives now is lost with it
      const delay = maxDelayMs > 0 ? random() * maxDelayMs : 0;
      lastAt = Math.max(lastAt, Date.now() + delay);
      queue.push({ at: lastAt, chunk });
      if (queue.length > MAX_QUEUED_CHUNKS || to.writableNeedDrain) from.pause();
      if (timer === undefined && !to.writableNeedDrain) timer = setTimeout(flush, lastAt - Date.now());
    });
    from.on('close', () => clearTimeout(timer));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  const close = async (): Promise<void> => {
    if (isClosed) return;
    isClosed = true;
    clearTimeout(lifetime);
    for (const link of [...links]) sever(link);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const lifetime = setTimeout(() => { void close(); }, options.maxLifetimeMs ?? 180_000);
  lifetime.unref();

  return {
    port,
    stats,
    get open() { return links.size; },
    setTarget: (p) => { target = p; },
    setFaults: (mean) => {
      areFaultsOn = mean !== null && Number.isFinite(mean);
      if (mean !== null) meanFaultMs = mean;
      // A stalled link keeps its timer: it is severed as planned.
      for (const link of links) if (!link.isStalled) scheduleFault(link);
    },
    severAll: () => {
      const n = links.size;
      for (const link of [...links]) { stats.severed++; sever(link); }
      return n;
    },
    close,
  };
}
