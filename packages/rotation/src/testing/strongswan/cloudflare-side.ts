import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HarnessTunnel } from './config.js';
import type { StrongSwanHarness } from './harness.js';

// Cloudflare's side of a real-IKE test follows the simulator's key state: whenever the simulator stores a key for
// a tunnel (Generate PSK, Set PSKs), the daemon playing Cloudflare gets it before the client hears the answer, as
// Cloudflare's edge would. The simulator's own hook for this (SimulatorOptions.attachment.pskChanged) is on its
// way; until then a loopback proxy in front of it calls the same hook, and tests differ only in attachCloudflareSide.

/** What the simulator tells its attachment after it stored a tunnel's key (the hook's argument). */
export interface PskChange {
  accountId: string;
  tunnelId: string;
  tunnelName: string;
  psk: string;
}

/** The simulator attachment's key hook: the shape of `SimulatorOptions.attachment`. */
export interface CloudflareAttachment {
  pskChanged(change: PskChange): Promise<void> | void;
}

/** The parts of a running simulator this module reads (structural: no import of the simulator package). */
export interface SimulatorState {
  readonly url: string;
  tunnel(accountId: string, tunnelId: string): { name: string; psk: string | undefined } | undefined;
}

/** A simulator with Cloudflare's side attached: clients use `url`; `failures` lists hook failures. */
export interface AttachedSimulator {
  readonly url: string;
  readonly failures: readonly string[];
  close(): Promise<void>;
}

/** The hook for a harness: a key stored for a tunnel id in `tunnels` is loaded on the Cloudflare daemon. */
export function cloudflareDaemon(
  harness: StrongSwanHarness,
  tunnels: ReadonlyMap<string, HarnessTunnel>,
): CloudflareAttachment {
  return {
    async pskChanged(change) {
      const tunnel = tunnels.get(change.tunnelId);
      if (tunnel) await harness.setCloudflareKey(tunnel, change.psk);
    },
  };
}

const GENERATE = /\/accounts\/([^/]+)\/magic\/ipsec_tunnels\/([^/]+)\/psk_generate$/;
const SET = /\/accounts\/([^/]+)\/magic\/ipsec_tunnels\/psk$/;

/** The tunnels a request may have changed the key of: its path's tunnel, or the ids in a Set PSKs body. */
function changedTunnels(
  method: string,
  url: URL,
  body: string,
): { accountId: string; ids: string[] } | undefined {
  if (method !== 'POST' || url.searchParams.get('validate_only') === 'true') return undefined;
  const generate = GENERATE.exec(url.pathname);
  if (generate)
    return { accountId: decodeURIComponent(generate[1] ?? ''), ids: [decodeURIComponent(generate[2] ?? '')] };
  const set = SET.exec(url.pathname);
  if (!set) return undefined;
  try {
    const psks = (JSON.parse(body) as { psks?: { id?: unknown }[] }).psks ?? [];
    return { accountId: decodeURIComponent(set[1] ?? ''), ids: psks.map((entry) => String(entry.id)) };
  } catch {
    return undefined;
  }
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * Ties Cloudflare's side to the simulator's key state: a loopback proxy that, after each persisting call and
 * before relaying its answer, tells `daemon` of every key the simulator now holds that it has not been told of.
 * When the simulator's `attachment` option lands, this becomes `startSimulator({ …, attachment: daemon })` and
 * `{ url: sim.url }`.
 */
export async function attachCloudflareSide(
  sim: SimulatorState,
  daemon: CloudflareAttachment,
): Promise<AttachedSimulator> {
  const upstream = new URL(sim.url);
  const told = new Map<string, string>();
  const failures: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readAll(incoming);
      const forwarded = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
          agent: false,
        },
        (answer) => {
          void (async () => {
            const answerBody = await readAll(answer);
            const url = new URL(incoming.url ?? '/', upstream);
            const changed = changedTunnels(incoming.method ?? '', url, body.toString('utf8'));
            for (const id of changed?.ids ?? []) {
              const state = sim.tunnel(changed?.accountId ?? '', id);
              const key = `${changed?.accountId}/${id}`;
              if (!state?.psk || told.get(key) === state.psk) continue;
              try {
                await daemon.pskChanged({
                  accountId: changed?.accountId ?? '',
                  tunnelId: id,
                  tunnelName: state.name,
                  psk: state.psk,
                });
                told.set(key, state.psk);
              } catch (error) {
                failures.push(`${id}: ${(error as Error).name}`);
              }
            }
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            outgoing.end(answerBody);
          })().catch(() => outgoing.destroy());
        },
      );
      // The simulator reset the connection (a fault): so does the proxy.
      forwarded.on('error', () => outgoing.destroy());
      forwarded.end(body);
    })().catch(() => outgoing.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    failures,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
