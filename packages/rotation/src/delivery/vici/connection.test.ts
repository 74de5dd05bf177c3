import { createConnection, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeViciServer, reply, startFakeServer } from '../../test-support/fake-vici-server.js';
import { Connection, type Dial } from './connection.js';

// A charon busy with several deliveries at once can have a full listen queue: connect() fails with EAGAIN for a
// moment. The connection tries again a few times; any other failure, or EAGAIN that lasts, is reported at once.

/** A socket that fails to connect with `code`. */
function refusing(code: string): Socket {
  const socket = new Socket();
  queueMicrotask(() => socket.emit('error', Object.assign(new Error(code), { code })));
  return socket;
}

let server: FakeViciServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('opening a vici connection', () => {
  it('tries again while the daemon’s queue is full, then talks to it', async () => {
    server = await startFakeServer((_packet, conn) => conn.send(reply.response({ daemon: 'charon' })));
    let dials = 0;
    const dial: Dial = (options) => (++dials <= 2 ? refusing('EAGAIN') : createConnection(options));
    const conn = await Connection.open(server.socketPath, new AbortController().signal, dial);
    await expect(conn.request('version')).resolves.toMatchObject({ daemon: 'charon' });
    conn.close();
    expect(dials).toBe(3);
  });

  it('gives up after a few tries of EAGAIN, and at once on anything else', async () => {
    let dials = 0;
    const busy: Dial = () => {
      dials += 1;
      return refusing('EAGAIN');
    };
    await expect(Connection.open('/nowhere.vici', new AbortController().signal, busy)).rejects.toThrow(
      /EAGAIN/,
    );
    expect(dials).toBe(5);
    dials = 0;
    const gone: Dial = () => {
      dials += 1;
      return refusing('ENOENT');
    };
    await expect(Connection.open('/nowhere.vici', new AbortController().signal, gone)).rejects.toThrow(
      /ENOENT/,
    );
    expect(dials).toBe(1);
  });
});
