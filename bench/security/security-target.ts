/**
 * Ordo for the security section: the broker of this checkout started as a
 * child process, as {@link OrdoTarget} starts it, but configured by a JSON
 * file (`ordo broker --config FILE`): authentication off or on, ws:// or
 * wss://, and (for the operations section) a log level. With authentication on, the first administrator's password goes
 * to the broker in `ORDO_ADMIN_PASSWORD`, as an operator gives it.
 *
 * The workloads of workloads/ open their connections through
 * {@link connectSdk} (by way of OrdoTarget's adapters); each takes the next
 * login of {@link planLogins}, in the order the workloads open them:
 * subscribers first, then publishers (throughput.ts, confirmed.ts). A login
 * out of order cannot go unnoticed: the subscriber's user may not publish,
 * the publishers' users may not subscribe, and the row fails.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectOptions, OrdoClient } from '../../client/index.js';
import { OrdoTarget } from '../targets/ordo.js';
import { LOOPBACK } from '../targets/server-process.js';
import { PLAIN_SETUP, type ConfirmedClient, type TargetSetup } from '../targets/target.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { describeError, withTimeout } from '../timing.js';
import type { TlsFiles } from './tls-cert.js';

/** The line `ordo broker` prints once it accepts connections, ws:// or wss:// (DESIGN.md, CLI). */
const LISTENING_LINE = /listening on (wss?:\/\/\S+)/;

/** The transports the section compares. */
export const TRANSPORTS = ['ws', 'wss'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Authentication off, or on with the section's ACL. */
export const AUTH_MODES = ['off', 'on'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** How one broker of the section is configured. */
export interface SecurityBrokerSetup {
  readonly transport: Transport;
  readonly auth: AuthMode;
  /** The broker's `log.level` (the operations section sets it). Default: the broker's own, `info`. */
  readonly logLevel?: string;
}

/** What a connection logs in with: nothing (auth off), a user name and password, or a token. */
export type Login = Pick<ConnectOptions, 'username' | 'password' | 'token'>;

/** The first administrator, made by the broker at its first start with authentication on. */
export const ADMIN_USER = 'admin';

/** One broker of the section and the connections to it. */
export class OrdoSecurityTarget extends OrdoTarget {
  /** The password of {@link ADMIN_USER}, fresh for each run. */
  readonly adminPassword = randomBytes(18).toString('base64url');
  private brokerUrl = '';
  private logins: Login[] = [];

  constructor(
    readonly brokerSetup: SecurityBrokerSetup,
    /** The certificate of a wss:// broker. */
    private readonly tls?: TlsFiles,
  ) {
    super();
    if ((brokerSetup.transport === 'wss') !== (tls !== undefined)) throw new Error('a certificate is for a wss:// broker, and a wss:// broker needs one');
  }

  /** `ws, auth off` and the like (`ws, auth off, log silent` with a log level). */
  get label(): string {
    const { transport, auth, logLevel } = this.brokerSetup;
    return `${transport}, auth ${auth}${logLevel === undefined ? '' : `, log ${logLevel}`}`;
  }

  /** The URL the broker listens on, `ws://` or `wss://` (its HTTP endpoints share the port); empty before start. */
  get listeningUrl(): string {
    return this.brokerUrl;
  }

  /** Writes the config file and starts the broker with it; throw-away data folder, loopback, a free port. */
  override async start(_setup: TargetSetup): Promise<void> {
    const root = await findRepoRoot();
    if (root === undefined) throw new Error('bin/ordo.js not found');
    const dir = await this.useTempDir('security');
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    const config = {
      host: LOOPBACK,
      port: 0,
      dataDir,
      auth: { enabled: this.brokerSetup.auth === 'on' },
      ...(this.brokerSetup.logLevel === undefined ? {} : { log: { level: this.brokerSetup.logLevel } }),
      ...(this.tls === undefined ? {} : { tls: { cert: this.tls.certFile, key: this.tls.keyFile } }),
    };
    const configFile = join(dir, 'ordo.json');
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const server = await this.launch({
      name: `ordo broker (${this.label})`,
      command: process.execPath,
      args: [join(root, 'bin', 'ordo.js'), 'broker', '--config', configFile],
      cwd: root,
      env: this.brokerSetup.auth === 'on' ? { ORDO_ADMIN_PASSWORD: this.adminPassword } : {},
      readyLine: LISTENING_LINE,
      startTimeoutMs: 15_000,
    });
    const match = server.matchOutput(LISTENING_LINE);
    if (match === null) throw new Error('ordo broker printed no URL');
    if (!match[1].startsWith(`${this.brokerSetup.transport}://`)) throw new Error(`ordo broker listens on ${match[1]}, not ${this.brokerSetup.transport}://`);
    this.brokerUrl = match[1];
  }

  /** The logins of the next connections the workloads open, in order; replaces any left over. */
  planLogins(logins: readonly Login[]): void {
    this.logins = [...logins];
  }

  /** The next planned login's connection (every workload connection comes through here). */
  override async connectSdk(): Promise<OrdoClient> {
    const login = this.logins.shift();
    if (login === undefined) throw new Error(`${this.label}: a connection with no login planned`);
    return this.connectAs(login);
  }

  /** One SDK connection logged in with `login` (no reconnect), trusting the broker's certificate over wss://. */
  async connectAs(login: Login): Promise<OrdoClient> {
    const { connect } = await import('../../client/index.js');
    return connect(this.brokerUrl, { reconnect: false, ...login, ...(this.tls === undefined ? {} : { tls: { ca: this.tls.ca } }) });
  }

  /** As the first administrator (auth on), or with no login (auth off, where everyone may administer). */
  connectAdmin(): Promise<OrdoClient> {
    return this.connectAs(this.brokerSetup.auth === 'on' ? { username: ADMIN_USER, password: this.adminPassword } : {});
  }

  /**
   * OrdoTarget's confirmed client without its store counters: they come
   * from STATS, which needs an administrator once authentication is on,
   * and the section's rows do not print them.
   */
  override async connectConfirmed(spec: WorkloadSpec, setup: TargetSetup): Promise<ConfirmedClient> {
    const client = await super.connectConfirmed(spec, setup);
    return {
      publish: (destination, payload) => client.publish(destination, payload),
      consume: (destination, onMessage) => client.consume(destination, onMessage),
      flush: () => client.flush(),
      close: () => client.close(),
    };
  }
}

/** Starts `target` within `timeoutMs`: undefined once it runs, else the failure in words (`start failed: …`). */
export async function startWithin(target: OrdoSecurityTarget, timeoutMs: number): Promise<string | undefined> {
  try {
    await withTimeout(target.start(PLAIN_SETUP), timeoutMs, `${target.label}: start`);
    return undefined;
  } catch (err) {
    return `start failed: ${describeError(err)}`;
  }
}

/** The checkout's root: the nearest folder above this module that holds bin/ordo.js. */
async function findRepoRoot(): Promise<string | undefined> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const isRoot = await access(join(dir, 'bin', 'ordo.js')).then(() => true, () => false);
    if (isRoot) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
