/** One socket to charon, one exchange at a time. */
import { createConnection, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ViciError } from './errors.js';
import {
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  type Packet,
  PacketType,
  SegmentDecoder,
  type ViciInput,
  type ViciMessage,
} from './wire.js';

/** Opens a socket; `createConnection` but for tests. */
export type Dial = (options: { path: string }) => Socket;

/** How often a connect is tried while the daemon's queue is full, and the first wait (it grows by that much). */
const CONNECT_TRIES = 5;
const CONNECT_RETRY_MS = 20;

/**
 * Replies carry no request id, so they pair with requests by order alone: one exchange waits at a
 * time, and anything off-script (an unsolicited reply, a corrupt segment) poisons the connection.
 */
export class Connection {
  private readonly decoder = new SegmentDecoder();
  private waiter: { resolve: (packet: Packet) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private onEvent: ((name: string, message: ViciMessage) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    signal: AbortSignal,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(new ViciError('CLOSED', `vici socket failed: ${error.message}`)));
    socket.on('close', () => this.fail(new ViciError('CLOSED', 'the daemon closed the vici connection')));
    if (signal.aborted) this.fail(signal.reason as Error);
    else signal.addEventListener('abort', () => this.fail(signal.reason as Error), { once: true });
  }

  /**
   * Connects, retrying a little while charon's listen queue is full (EAGAIN on a Unix socket): a daemon busy with
   * several deliveries at once is there a moment later, and a delivery that fails for that is a tunnel left down.
   */
  static async open(path: string, signal: AbortSignal, dial: Dial = createConnection): Promise<Connection> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Connection.openOnce(path, signal, dial);
      } catch (error) {
        const busy = (error as { errno?: string }).errno === 'EAGAIN';
        if (!busy || attempt >= CONNECT_TRIES || signal.aborted) throw error;
        await delay(CONNECT_RETRY_MS * attempt, undefined, { signal }).catch(() => {});
      }
    }
  }

  private static openOnce(path: string, signal: AbortSignal, dial: Dial): Promise<Connection> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const socket = dial({ path });
      const onAbort = () => {
        socket.destroy();
        reject(signal.reason);
      };
      const onError = (error: NodeJS.ErrnoException) => {
        signal.removeEventListener('abort', onAbort);
        const failure = new ViciError(
          'CONNECT',
          `cannot connect to vici socket ${path}: ${error.code ?? error.message}`,
        );
        reject(Object.assign(failure, { errno: error.code }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        resolve(new Connection(socket, signal));
      });
    });
  }

  close(): void {
    this.fail(new ViciError('CLOSED', 'vici connection closed'));
  }

  async request(command: string, message: ViciInput = {}): Promise<ViciMessage> {
    const body = encodeMessage(message);
    const packet = encodePacket(PacketType.CMD_REQUEST, command, body);
    body.fill(0);
    const reply = await this.exchange(packet);
    if (reply.type === PacketType.CMD_UNKNOWN) {
      throw new ViciError('UNKNOWN_COMMAND', `the daemon does not know the vici command '${command}'`);
    }
    if (reply.type !== PacketType.CMD_RESPONSE) throw unexpected(reply, `a reply to '${command}'`);
    return decodeMessage(reply.body);
  }

  /** Runs a command whose results arrive as `event` events before its response. */
  async streamed(
    command: string,
    message: ViciInput,
    event: string,
    onEvent: (message: ViciMessage) => void,
  ): Promise<ViciMessage> {
    await this.subscription(PacketType.EVENT_REGISTER, event);
    this.onEvent = (name, body) => {
      if (name === event) onEvent(body);
    };
    let response: ViciMessage;
    try {
      response = await this.request(command, message);
    } finally {
      this.onEvent = undefined;
    }
    await this.subscription(PacketType.EVENT_UNREGISTER, event);
    return response;
  }

  private async subscription(type: PacketType, event: string): Promise<void> {
    const reply = await this.exchange(encodePacket(type, event));
    if (reply.type === PacketType.EVENT_UNKNOWN) {
      throw new ViciError('UNKNOWN_EVENT', `the daemon does not know the vici event '${event}'`);
    }
    if (reply.type !== PacketType.EVENT_CONFIRM) throw unexpected(reply, `a confirmation for '${event}'`);
  }

  private exchange(packet: Buffer): Promise<Packet> {
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      this.waiter = { resolve, reject };
      // The packet may carry a key: wipe our copy once the kernel has it.
      this.socket.write(packet, () => packet.fill(0));
    });
  }

  private receive(chunk: Buffer): void {
    try {
      for (const segment of this.decoder.push(chunk)) {
        const packet = decodePacket(segment);
        if (packet.type === PacketType.EVENT) {
          // Decode even when nobody listens: a malformed event means the stream is corrupt.
          const message = decodeMessage(packet.body);
          this.onEvent?.(packet.name ?? '', message);
          continue;
        }
        const waiter = this.waiter;
        // Without request ids, a reply nobody asked for means we can no longer pair replies.
        if (!waiter) throw unexpected(packet, 'nothing');
        this.waiter = undefined;
        waiter.resolve(packet);
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new ViciError('PROTOCOL', String(error)));
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.socket.destroy();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }
}

function unexpected(packet: Packet, expected: string): ViciError {
  return new ViciError('PROTOCOL', `expected ${expected}, got VICI packet type ${packet.type}`);
}
