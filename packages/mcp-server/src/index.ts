// The library: what embedding the server needs. The binary (ipsec-psk-mcp) is the usual way in; the rotation
// engine, its configuration, audit log and results are @ipsec-psk/rotation's.

export { type CreateServerOptions, createServer, type IpsecPskServer } from './server.js';
export { loadServerConfig, type ServerConfig } from './server-config.js';
export { SERVER_VERSION } from './version.js';
