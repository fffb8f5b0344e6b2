/**
 * Who a connection speaks for, fixed at HELLO [docs/security.md]. Every
 * operation is checked against it.
 */
export interface Principal {
  /** The user name; 'anonymous' for an anonymous client; '' when the broker has authentication off. */
  readonly user: string;
  readonly roles: readonly string[];
  /** How the client proved it: 'open' means authentication is off and everything is allowed. */
  readonly via: 'password' | 'token' | 'hook' | 'certificate' | 'anonymous' | 'open';
}

/** The principal of every connection while authentication is off. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ user: '', roles: Object.freeze([]), via: 'open' });

/** The user name of clients that give no credentials where anonymous access is allowed. */
export const ANONYMOUS_USER = 'anonymous';

/** What the transport knows of a peer before it says anything. */
export interface PeerInfo {
  /** `ip:port`, as shown in stats. */
  readonly address: string;
  /** The remote IP, the key of the failed-login limiter. */
  readonly ip: string;
  /** The common name of a client certificate the TLS layer verified against tls.ca. */
  readonly certificateUser?: string | undefined;
}
