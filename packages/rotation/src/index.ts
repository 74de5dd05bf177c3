// @ipsec-psk/rotation: the safe rotation engine. Start with `createRotator` (README); the rest is what the command
// line and the MCP server build on.

export {
  ConfigError,
  defaultFallbackDir,
  defaultPskDir,
  flag,
  loadConfig,
  type RotationConfig,
  setting,
} from './config.js';
export {
  type AskedVia,
  CONFIRM_MODES,
  type ConfirmationChannel,
  type ConfirmedBy,
  type ConfirmMode,
  chooseChannel,
} from './confirm/channel.js';
export {
  type ConsentKind,
  type ConsentRequest,
  ConsentTokens,
  type TokenRefusal,
} from './confirm/consent-tokens.js';
export {
  PANEL_CONFIRMATION_TTL_MS,
  PanelConfirmations,
  type PanelPending,
  type PanelRefusal,
} from './confirm/panel-confirmations.js';
export { TUNNEL_FACTS_VARIABLE } from './delivery/command-target.js';
export { DELIVERY_SETTING, loadDeliveryConfig, parseDeliveryConfig } from './delivery/config-file.js';
export {
  CONFIG_PLATFORMS,
  type CommandTarget,
  type ConfigPlatform,
  type ConfigTarget,
  type DeliveryConfig,
  type DeliveryRule,
  type DeliveryTarget,
  type IkeIdentity,
  type StrongswanTarget,
  type TunnelMatch,
} from './delivery/config-types.js';
export { deliveryDetails, type TunnelDetailsForDelivery } from './delivery/tunnel-details.js';
export { createEngine, type EngineOptions, type RotationEngine } from './engine.js';
export {
  FLEET_MAX,
  type FleetAnswer,
  type FleetInput,
  type FleetTarget,
  type KnownTunnels,
} from './fleet/fleet-prepare.js';
export { type FleetDeps, FleetRotation } from './fleet/fleet-rotation.js';
export { BATCH_SIZE, type OnProgress } from './fleet/fleet-send.js';
export { RestoreFlow, type RestoreInput } from './fleet/restore.js';
export {
  DESCRIPTION_MAX_LENGTH,
  describeListing,
  type ListedTunnel,
  listTunnels,
  type TunnelFilter,
  type TunnelListing,
} from './fleet/tunnel-list.js';
export {
  type CheckHealthRequest,
  checkTunnelHealth,
  type TunnelHealthOutput,
} from './health/check-health.js';
export {
  awaitTunnelHealth,
  type HealthProgress,
  type HealthTarget,
  type HealthWaitOptions,
} from './health/tunnel-health-wait.js';
export { InFlight } from './in-flight.js';
export { type Logger, type StderrLoggerOptions, silentLogger, stderrLogger } from './logger.js';
export { decideRotated, type KeyAge } from './one/check-back.js';
export { Rotation, type RotationDeps } from './one/rotation.js';
export { RotationSteps, type StepsDeps } from './one/steps.js';
export type {
  ConfirmationFields,
  ConfirmVia,
  DeliveryOutput,
  DeliveryResult,
  FleetOutput,
  FleetStatus,
  FleetTunnel,
  HealthOutput,
  Recovery,
  Rotated,
  RotationOutput,
  RotationStatus,
  TunnelResult,
} from './output.js';
export {
  type OpenedPanel,
  type PanelAnswer,
  type PanelDecision,
  PanelFlow,
  type RevealedKey,
} from './panel/panel-flow.js';
export {
  type ConfirmCallback,
  createRotator,
  type RestoreRequest,
  type Rotator,
  type RotatorOptions,
  type TunnelRequest,
  type TunnelsRequest,
} from './rotator.js';
export { type AuditEntry, type AuditEvent, AuditLog, type AuditRecord } from './store/audit-log.js';
export {
  type HistoryRotation,
  historyFromRecords,
  rotationHistory,
  type TunnelRotationHistory,
} from './store/history-report.js';
export { describeFsError, type FileSystem, KeyDirectory, UntrustedPathError } from './store/key-directory.js';
export { fingerprint, PskStore } from './store/psk-store.js';
export { type TunnelHistory, tunnelHistory, unfinishedAttempts } from './store/rotation-history.js';
export { type UnfinishedRotation, unfinishedRotations } from './store/startup-check.js';
export { readTrustedFile } from './store/trust.js';
export { LOCK_STALE_MS, TunnelLocks } from './store/tunnel-lock.js';
export { canonicalTime, formatTime, NAME_MAX_LENGTH, unfinishedConsequence } from './text/rotation-text.js';
export type {
  Answered,
  AskLater,
  ConfirmAnswer,
  Confirmer,
  FleetTunnelFacts,
  FormReply,
  RevealableKey,
  RotationAnswer,
  RotationInput,
  Target,
  TunnelFacts,
  ViewOnly,
} from './types.js';
