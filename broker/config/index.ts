/**
 * config/: the broker's settings, their defaults and the one function that
 * validates them. Pure.
 */
export { DEFAULT_CONFIG } from './defaults.js';
export type { BrokerConfig, BrokerConfigInput } from './defaults.js';
export { parseConfig } from './parse-config.js';
