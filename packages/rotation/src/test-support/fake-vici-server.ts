/**
 * A scripted VICI server on a unix socket in a temp dir, for edge cases a real charon never
 * produces on demand: split and merged packets, silence, garbage, abrupt closes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
} from '../delivery/vici/client.js';

/** A packet the fake server received. */
export interface ReceivedPacket extends Packet {
  /** The decoded body of a CMD_REQUEST. */
  message?: ViciMessage;
}

/** Called for each packet a client sends; `conn.socket` lets a handler misbehave at will. */
export type FakeHandler = (packet: ReceivedPacket, conn: FakeConnection) => void | Promise<void>;

/** One client connection, for a handler to answer on (or misbehave with). */
export interface FakeConnection {
  socket: Socket;
  send(...segments: Buffer[]): void;
}

/** A running fake server. */
export interface FakeViciServer {
  socketPath: string;
  received: ReceivedPacket[];
  /** Connections accepted so far, and how many are still open. */
  accepted: number;
  open: number;
  close(): Promise<void>;
}

/** Packets a handler sends back. */
export const reply = {
  response: (message: ViciInput = {}) =>
    encodePacket(PacketType.CMD_RESPONSE, undefined, encodeMessage(message)),
  unknownCommand: () => encodePacket(PacketType.CMD_UNKNOWN),
  confirm: () => encodePacket(PacketType.EVENT_CONFIRM),
  unknownEvent: () => encodePacket(PacketType.EVENT_UNKNOWN),
  event: (name: string, message: ViciInput) => encodePacket(PacketType.EVENT, name, encodeMessage(message)),
};

/** Confirms every (un)registration and hands only commands to `onCommand`. */
export function commands(onCommand: FakeHandler): FakeHandler {
  return (packet, conn) => {
    if (packet.type === PacketType.EVENT_REGISTER || packet.type === PacketType.EVENT_UNREGISTER) {
      conn.send(reply.confirm());
      return;
    }
    return onCommand(packet, conn);
  };
}

/** Starts a fake VICI server on a unix socket in a private temp dir. */
export async function startFakeServer(handler: FakeHandler): Promise<FakeViciServer> {
  const dir = await mkdtemp(join(tmpdir(), 'vici-fake-'));
  const socketPath = join(dir, 'charon.vici');
  const sockets = new Set<Socket>();
  const state: FakeViciServer = {
    socketPath,
    received: [],
    accepted: 0,
    open: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    state.accepted += 1;
    state.open += 1;
    socket.on('close', () => {
      sockets.delete(socket);
      state.open -= 1;
    });
    socket.on('error', () => {});
    const decoder = new SegmentDecoder();
    const conn: FakeConnection = {
      socket,
      send: (...segments) => {
        if (!socket.destroyed) socket.write(Buffer.concat(segments));
      },
    };
    // Handlers run one after another, as charon answers one request at a time per client.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const segment of decoder.push(chunk)) {
        const packet: ReceivedPacket = decodePacket(Buffer.from(segment));
        if (packet.type === PacketType.CMD_REQUEST) packet.message = decodeMessage(packet.body);
        state.received.push(packet);
        queue = queue.then(() => handler(packet, conn));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return state;
}

/** Waits `ms`. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, bounded. */
export async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(5);
  }
}
