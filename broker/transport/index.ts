/**
 * The broker's network edge before a Connection exists: TLS material, the
 * origin check and deadlines of the WebSocket upgrade, and the refusal to
 * expose an open broker. Used by server.ts only; imports config/ and errors/.
 */
export { readTlsFiles, type TlsMaterial } from './tls-files.js';
export { isOriginAllowed } from './origin-check.js';
export { UpgradeDeadlines } from './upgrade-deadlines.js';
export { checkExposure, isLoopbackHost } from './exposure.js';
export { certificateUserOf } from './client-certificate.js';
