export { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from './demo.js';
export type { CloudflareMessage, ErrorEnvelope } from './envelope.js';
export { type SimAction, type SimExchange, SimHandler, type SimHttpRequest } from './handler.js';
export { type ManyTunnelsOptions, manyTunnels } from './many-tunnels.js';
export { BASE_PATH } from './routes.js';
export { type Sandbox, startSandbox } from './sandbox.js';
export { startSimulator } from './server.js';
export { type SpecValidator, specValidator } from './spec-validator.js';
export type {
  RecordedRequest,
  SimAccountInit,
  SimFault,
  SimFaultBase,
  SimOperation,
  SimRequestFilter,
  SimTunnelInit,
  SimTunnelState,
  Simulator,
  SimulatorOptions,
} from './types.js';
