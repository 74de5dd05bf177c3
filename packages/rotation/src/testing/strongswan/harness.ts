import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ViciClient } from '../../delivery/vici/client.js';
import { isRunning as isPidRunning } from '../processes.js';
import {
  cloudflareConnection,
  cloudflareSwanctlConf,
  DEVICE_ADDRESS,
  deviceSwanctlConf,
  type HarnessTunnel,
  LINK_PREFIX,
  strongswanConf,
} from './config.js';
import { SWANCTL } from './prerequisites.js';
import { CHARON, DIR_PREFIX, exeOf, findIp, NETNS_PREFIX, sweepStaleHarnesses } from './sweep.js';

// Two real strongSwan daemons talking IKEv2 with pre-shared keys, each in its own network namespace, joined by a
// veth pair: a customer device (the initiator, one connection per tunnel) and a responder playing Cloudflare (one
// endpoint address and connection per tunnel). Nothing touches the host's network: addresses, IKE sockets and
// kernel-libipsec's TUN device all live in the namespaces, and no routes or policies are installed.

const run = promisify(execFile);

/** Which daemon. */
export type Role = 'device' | 'cloudflare';

/** One daemon's namespace and files. */
export interface Peer {
  role: Role;
  netns: string;
  /** Its private directory: configuration, VICI socket, log. */
  dir: string;
  socketPath: string;
  logFile: string;
  strongswanConf: string;
  swanctlConf: string;
  /** charon-systemd's PID (`ip netns exec` replaces itself with it). */
  pid?: number;
}

interface Daemon {
  process: ChildProcess;
  exited: Promise<void>;
}

/** Two daemons with their connections loaded (no keys); `stop()` removes everything by PID and name. */
export class StrongSwanHarness {
  readonly device: Peer;
  readonly cloudflare: Peer;
  private readonly daemons = new Map<Role, Daemon>();
  private readonly namespaces: string[] = [];
  private readonly ip = findIp() ?? 'ip';
  private stopped = false;

  private constructor(
    private readonly root: string,
    tag: string,
    readonly tunnels: readonly HarnessTunnel[],
  ) {
    this.device = peer('device', `${NETNS_PREFIX}${tag}-dev`, join(root, 'device'));
    this.cloudflare = peer('cloudflare', `${NETNS_PREFIX}${tag}-cf`, join(root, 'cloudflare'));
  }

  /** Starts both daemons with one connection per tunnel on each side; cleans up whatever a failed start made. */
  static async start(tunnels: readonly HarnessTunnel[]): Promise<StrongSwanHarness> {
    await sweepStaleHarnesses();
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const root = join(tmpdir(), `${DIR_PREFIX}${tag}`);
    await mkdir(root, { mode: 0o700 });
    const harness = new StrongSwanHarness(root, tag, tunnels);
    try {
      await harness.createNetwork();
      for (const side of harness.peers()) await harness.writeConfig(side);
      for (const side of harness.peers()) harness.spawnDaemon(side);
      for (const side of harness.peers()) await harness.waitForVici(side);
      for (const side of harness.peers()) await harness.loadConnections(side);
      return harness;
    } catch (error) {
      const logs = await harness.logTails();
      await harness.stop().catch(() => {});
      throw new Error(`strongSwan harness failed to start: ${(error as Error).message}\n${logs}`, {
        cause: error,
      });
    }
  }

  /** A VICI client of one daemon. */
  client(side: Peer, timeoutMs = 5_000): ViciClient {
    return new ViciClient({ timeoutMs, socketPath: side.socketPath });
  }

  /** The namespaces and PIDs the harness holds, for leak checks after `stop()` (see `harnessLeftovers`). */
  get footprint(): { namespaces: string[]; pids: number[]; dir: string } {
    const pids = this.peers().flatMap((side) => (side.pid === undefined ? [] : [side.pid]));
    return { namespaces: [this.device.netns, this.cloudflare.netns], pids, dir: this.root };
  }

  /** Loads a key on the Cloudflare side for one tunnel, replacing its previous one (one VICI id per tunnel). */
  async setCloudflareKey(tunnel: HarnessTunnel, psk: string): Promise<void> {
    await this.client(this.cloudflare).loadShared({
      id: cloudflareConnection(tunnel),
      data: psk,
      owners: [tunnel.cloudflareAddress, tunnel.deviceId],
    });
  }

  /** Loads a key on the device for one tunnel under the VICI id delivery uses, as an earlier key on the device. */
  async setDeviceKey(tunnel: HarnessTunnel, psk: string, id: string): Promise<void> {
    await this.client(this.device).loadShared({
      id,
      data: psk,
      owners: [tunnel.deviceId, tunnel.cloudflareAddress],
    });
  }

  /** Brings the tunnel up from the device, as its operator would (throws the daemon's error when it fails). */
  async initiate(tunnel: HarnessTunnel, timeoutMs = 5_000): Promise<void> {
    await this.client(this.device).initiate({ ike: tunnel.connection, child: tunnel.connection, timeoutMs });
  }

  /** Ends every SA on both sides (forced: nothing waits for a peer), so the next test starts from nothing. */
  async terminateAll(): Promise<void> {
    for (const side of this.peers()) {
      const vici = this.client(side);
      for (const sa of await vici.listSas()) {
        await vici.terminate({ ikeId: sa.uniqueId, force: true, timeoutMs: 2_000 }).catch(() => {});
      }
    }
  }

  /** Whether one side's IKE SA of the tunnel (the device's by default) is ESTABLISHED with its CHILD_SA INSTALLED. */
  async isUp(tunnel: HarnessTunnel, side: Role = 'device'): Promise<boolean> {
    const [peer, ike] =
      side === 'device' ? [this.device, tunnel.connection] : [this.cloudflare, cloudflareConnection(tunnel)];
    const sas = await this.client(peer).listSas({ ike });
    return sas.some(
      (sa) => sa.state === 'ESTABLISHED' && sa.children.some((child) => child.state === 'INSTALLED'),
    );
  }

  /** A daemon's log. */
  async readLog(side: Peer): Promise<string> {
    return readFile(side.logFile, 'utf8').catch(() => '');
  }

  /** The last lines of both daemons' logs, for failure reports. */
  async logTails(lines = 20): Promise<string> {
    const tails = await Promise.all(
      this.peers().map(async (side) => {
        const log = (await this.readLog(side)).trimEnd().split('\n').slice(-lines).join('\n');
        return `--- ${side.role} charon log (tail) ---\n${log}`;
      }),
    );
    return tails.join('\n');
  }

  /** Ends both daemons by PID, then removes the namespaces and the directory. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      await step().catch((error: unknown) => errors.push(error));
    };
    for (const role of [...this.daemons.keys()]) await attempt(() => this.stopDaemon(role));
    for (const netns of this.namespaces.splice(0).reverse()) await attempt(() => this.deleteNetns(netns));
    await attempt(() => rm(this.root, { recursive: true, force: true }));
    if (errors.length > 0) throw new AggregateError(errors, 'strongSwan harness cleanup was incomplete');
  }

  private peers(): Peer[] {
    return [this.device, this.cloudflare];
  }

  private async createNetwork(): Promise<void> {
    const dev = this.device.netns;
    const cf = this.cloudflare.netns;
    for (const netns of [dev, cf]) {
      // Recorded before it exists, so a half-done `add` is cleaned up too.
      this.namespaces.push(netns);
      await this.runIp('netns', 'add', netns);
    }
    // Both ends are created inside the namespaces; the host's namespace never sees them.
    await this.runIp('-n', dev, 'link', 'add', 'cf0', 'type', 'veth', 'peer', 'name', 'dev0', 'netns', cf);
    await this.runIp('-n', dev, 'addr', 'add', `${DEVICE_ADDRESS}/${LINK_PREFIX}`, 'dev', 'cf0');
    for (const address of new Set(this.tunnels.map((tunnel) => tunnel.cloudflareAddress))) {
      await this.runIp('-n', cf, 'addr', 'add', `${address}/${LINK_PREFIX}`, 'dev', 'dev0');
    }
    for (const [netns, link] of [
      [dev, 'cf0'],
      [cf, 'dev0'],
    ] as const) {
      await this.runIp('-n', netns, 'link', 'set', 'lo', 'up');
      await this.runIp('-n', netns, 'link', 'set', link, 'up');
    }
  }

  private async writeConfig(side: Peer): Promise<void> {
    await mkdir(side.dir, { mode: 0o700 });
    await writeFile(side.strongswanConf, strongswanConf(side), { mode: 0o600 });
    const swanctl =
      side.role === 'device' ? deviceSwanctlConf(this.tunnels) : cloudflareSwanctlConf(this.tunnels);
    await writeFile(side.swanctlConf, swanctl, { mode: 0o600 });
  }

  private spawnDaemon(side: Peer): void {
    const output = openSync(join(side.dir, 'stdout.log'), 'a');
    try {
      // `ip netns exec` execs charon in place, so the PID we get is charon's own.
      const child = spawn(this.ip, ['netns', 'exec', side.netns, CHARON], {
        env: { ...process.env, STRONGSWAN_CONF: side.strongswanConf },
        stdio: ['ignore', output, output],
      });
      const exited = new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
      this.daemons.set(side.role, { process: child, exited });
      if (child.pid !== undefined) side.pid = child.pid;
    } finally {
      closeSync(output);
    }
  }

  private async waitForVici(side: Peer, timeoutMs = 10_000): Promise<void> {
    const daemon = this.daemons.get(side.role);
    const client = new ViciClient({ socketPath: side.socketPath, timeoutMs: 1_000 });
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void daemon?.exited.then(() => {
      exited = true;
    });
    for (;;) {
      if (exited || !daemon || daemon.process.pid === undefined) {
        throw new Error(`charon of ${side.role} exited during startup`);
      }
      try {
        await client.version();
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `vici socket of ${side.role} not ready after ${timeoutMs} ms: ${(error as Error).message}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const exe = exeOf(daemon.process.pid);
    if (exe !== CHARON) throw new Error(`PID ${daemon.process.pid} of ${side.role} is ${exe}, not ${CHARON}`);
  }

  /** Loads a swanctl.conf into one daemon; swanctl exits 0 on a syntax error, so VICI confirms it loaded. */
  async loadConnections(
    side: Peer,
    file = side.swanctlConf,
    what: '--load-conns' | '--load-all' = '--load-conns',
  ): Promise<void> {
    try {
      await run(SWANCTL, [what, '--file', file, '--uri', `unix://${side.socketPath}`], {
        env: { ...process.env, STRONGSWAN_CONF: side.strongswanConf },
        timeout: 10_000,
      });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`swanctl ${what} for ${side.role} failed: ${`${stdout}${stderr}`.trim()}`);
    }
    const { conns } = await this.client(side).request('get-conns');
    if (!Array.isArray(conns) || conns.length === 0) {
      throw new Error(`swanctl ${what} for ${side.role} loaded no connections; check the swanctl.conf`);
    }
  }

  private async stopDaemon(role: Role): Promise<void> {
    const daemon = this.daemons.get(role);
    this.daemons.delete(role);
    if (!daemon || !isRunning(daemon.process)) return;
    // Our own child's PID cannot belong to anyone else until node reaps it. charon-systemd ends on SIGTERM (it
    // ignores SIGINT); a paused one must be woken up to act on it.
    daemon.process.kill('SIGCONT');
    daemon.process.kill('SIGTERM');
    if (await settles(daemon.exited, 5_000)) return;
    daemon.process.kill('SIGKILL');
    if (!(await settles(daemon.exited, 5_000))) {
      throw new Error(`charon of ${role} (PID ${daemon.process.pid}) did not exit`);
    }
  }

  private async deleteNetns(netns: string): Promise<void> {
    try {
      await this.runIp('netns', 'delete', netns);
    } catch (error) {
      if (!/No such file|does not exist|Invalid argument/i.test((error as Error).message)) throw error;
    }
  }

  private async runIp(...args: string[]): Promise<void> {
    try {
      await run(this.ip, args, { timeout: 10_000 });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
    }
  }
}

function peer(role: Role, netns: string, dir: string): Peer {
  return {
    role,
    netns,
    dir,
    socketPath: join(dir, 'charon.vici'),
    logFile: join(dir, 'charon.log'),
    strongswanConf: join(dir, 'strongswan.conf'),
    swanctlConf: join(dir, 'swanctl.conf'),
  };
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

async function settles(promise: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a stopped harness left behind (namespaces, live daemons, its directory): empty when it cleaned up. */
export function harnessLeftovers(footprint: StrongSwanHarness['footprint']): string[] {
  const namespaces = execFileSync(findIp() ?? 'ip', ['netns', 'list'], { encoding: 'utf8' });
  return [
    ...footprint.namespaces
      .filter((netns) => namespaces.includes(netns))
      .map((netns) => `namespace ${netns}`),
    ...footprint.pids.filter((pid) => isPidRunning(pid)).map((pid) => `process ${pid}`),
    ...(existsSync(footprint.dir) ? [`directory ${footprint.dir}`] : []),
  ];
}
