/**
 * config/: the broker's settings, their defaults, their environment
 * variables and the one function that validates them. Pure.
 */
export { DEFAULT_CONFIG, MAP_SETTINGS } from './defaults.js';
export type { BrokerConfig, BrokerConfigInput } from './defaults.js';
export { parseConfig, parseConfigFrom, LOG_LEVELS, LOG_FORMATS } from './parse-config.js';
export type { ConfigSource } from './parse-config.js';
export { configFromEnv, envName, ENV_SETTINGS, NON_SETTING_VARIABLES } from './env.js';
export type { EnvSetting } from './env.js';
