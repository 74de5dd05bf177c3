export type { SimAction, SimExchange, SimHttpRequest } from './actions.js';
export { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from './demo.js';
export type { CloudflareMessage, ErrorEnvelope } from './envelope.js';
export { SimHandler } from './handler.js';
export { type ManyTunnelsOptions, manyTunnels } from './many-tunnels.js';
export { BASE_PATH } from './routes.js';
export { type Sandbox, startSandbox } from './sandbox.js';
export { startSimulator } from './server.js';
export { type SpecValidator, specValidator } from './spec-validator.js';
export type {
  RecordedRequest,
  SimAccountInit,
  SimAttachment,
  SimFault,
  SimFaultBase,
  SimHealthCheckInit,
  SimHealthOptions,
  SimOperation,
  SimRequestFilter,
  SimTunnelHealth,
  SimTunnelInit,
  SimTunnelState,
  Simulator,
  SimulatorOptions,
} from './types.js';
