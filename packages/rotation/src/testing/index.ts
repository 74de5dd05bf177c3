// @ipsec-psk/rotation/testing: what tests of programs built on the engine need (ours, and a program's own): a key
// directory on a failing disk, child processes watched without sleeping, and two real strongSwan daemons (a device
// and Cloudflare's side) for delivery.
export { isAuthenticationFailure } from '../delivery/vici/client.js';
export { type FailingFiles, failingFiles } from './failing-files.js';
export { Captured, exitOf, isRunning } from './processes.js';
export { type CloudflareAttachment, cloudflareDaemon, type PskChange } from './strongswan/cloudflare-side.js';
export { cloudflareConnection, type HarnessTunnel } from './strongswan/config.js';
export { harnessLeftovers, type Peer, type Role, StrongSwanHarness } from './strongswan/harness.js';
export { type Prerequisites, realIkeRequired, strongSwanPrerequisites } from './strongswan/prerequisites.js';
export { sweepStaleHarnesses } from './strongswan/sweep.js';
