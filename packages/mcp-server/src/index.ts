// The library: what embedding the server needs. The binary (ipsec-psk-mcp) is the usual way in.
export type { AuditRecord } from './audit-log.js';
export { ConfigError, type ConfirmMode, loadConfig, type ServerConfig } from './config.js';
export type { FileSystem } from './key-directory.js';
export { type Logger, silentLogger, stderrLogger } from './logger.js';
export type { RotationOutput, RotationStatus } from './rotation-output.js';
export { type CreateServerOptions, createServer, type IpsecPskServer } from './server.js';
export { type UnfinishedRotation, unfinishedRotations } from './startup-check.js';
export { SERVER_VERSION } from './version.js';
