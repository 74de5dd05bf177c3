import { afterEach, describe, expect, it } from 'vitest';
import {
  commands,
  delay,
  type FakeHandler,
  type FakeViciServer,
  reply,
  startFakeServer,
  until,
} from '../../test-support/fake-vici-server.js';
import {
  isAuthenticationFailure,
  PacketType,
  ViciClient,
  ViciCommandError,
  ViciError,
  type ViciLogEntry,
} from './client.js';

function expectViciError(error: unknown, code: ViciError['code']): ViciError {
  expect(error).toBeInstanceOf(ViciError);
  expect((error as ViciError).code).toBe(code);
  return error as ViciError;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('ViciClient against a fake server', () => {
  let server: FakeViciServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve(handler: FakeHandler): Promise<FakeViciServer> {
    server = await startFakeServer(handler);
    return server;
  }

  const VERSION = { daemon: 'charon', version: '5.9.8', sysname: 'Linux', release: '6', machine: 'x86_64' };

  it('reads a response that arrives one byte per chunk', async () => {
    const fake = await serve(async (_packet, conn) => {
      for (const byte of reply.response(VERSION)) {
        conn.send(Buffer.of(byte));
        await delay(1);
      }
    });
    const client = new ViciClient({ socketPath: fake.socketPath });
    await expect(client.version()).resolves.toEqual(VERSION);
    await until(() => fake.open === 0);
  });

  it('collects streamed events that arrive in one chunk with the response', async () => {
    const fake = await serve(
      commands((packet, conn) => {
        expect(packet.name).toBe('list-sas');
        conn.send(
          reply.event('list-sa', { a: { uniqueid: '1', state: 'ESTABLISHED', initiator: 'yes' } }),
          reply.event('something-else', { ignored: 'yes' }),
          reply.event('list-sa', {
            b: {
              uniqueid: '2',
              state: 'CONNECTING',
              'child-sas': { 'c-3': { name: 'c', uniqueid: '3', state: 'INSTALLED' } },
            },
          }),
          reply.response(),
        );
      }),
    );
    const sas = await new ViciClient({ socketPath: fake.socketPath }).listSas({ ike: 'a', noblock: true });
    expect(sas.map((sa) => [sa.name, sa.uniqueId, sa.state, sa.initiator])).toEqual([
      ['a', 1, 'ESTABLISHED', true],
      ['b', 2, 'CONNECTING', false],
    ]);
    expect(sas[1]?.children).toMatchObject([{ key: 'c-3', name: 'c', uniqueId: 3, state: 'INSTALLED' }]);
    expect(fake.received.map((p) => [p.type, p.name])).toEqual([
      [PacketType.EVENT_REGISTER, 'list-sa'],
      [PacketType.CMD_REQUEST, 'list-sas'],
      [PacketType.EVENT_UNREGISTER, 'list-sa'],
    ]);
    expect(fake.received[1]?.message).toEqual({ ike: 'a', noblock: 'yes' });
  });

  it('reports an unknown command', async () => {
    const fake = await serve((_packet, conn) => conn.send(reply.unknownCommand()));
    const error = await failure(new ViciClient({ socketPath: fake.socketPath }).request('no-such-command'));
    expect(expectViciError(error, 'UNKNOWN_COMMAND').message).toContain("'no-such-command'");
  });

  it('reports an unknown event', async () => {
    const fake = await serve((_packet, conn) => conn.send(reply.unknownEvent()));
    const error = await failure(new ViciClient({ socketPath: fake.socketPath }).listSas());
    expectViciError(error, 'UNKNOWN_EVENT');
  });

  it('times out when the server never answers, and closes the socket', async () => {
    const fake = await serve(() => {});
    const client = new ViciClient({ socketPath: fake.socketPath, timeoutMs: 150 });
    const started = Date.now();
    const error = await failure(client.version());
    expect(expectViciError(error, 'TIMEOUT').message).toBe('vici version timed out after 150 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(2_000);
    await until(() => fake.accepted === 1 && fake.open === 0);
  });

  it('stops when the caller aborts, and does not connect if already aborted', async () => {
    const fake = await serve(() => {});
    const client = new ViciClient({ socketPath: fake.socketPath });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expectViciError(await failure(client.version({ signal: controller.signal })), 'ABORTED');
    await until(() => fake.open === 0);

    expectViciError(await failure(client.version({ signal: AbortSignal.abort() })), 'ABORTED');
    expect(fake.accepted).toBe(1);
  });

  it('fails when the daemon closes mid-packet', async () => {
    const fake = await serve((_packet, conn) => {
      conn.send(reply.response(VERSION).subarray(0, 10));
      conn.socket.end();
    });
    expectViciError(await failure(new ViciClient({ socketPath: fake.socketPath }).version()), 'CLOSED');
  });

  it('fails when the socket does not exist', async () => {
    const client = new ViciClient({ socketPath: '/nonexistent/charon.vici' });
    const error = expectViciError(await failure(client.version()), 'CONNECT');
    expect(error.message).toContain('ENOENT');
  });

  it('treats a corrupt length prefix and an unsolicited reply as protocol errors', async () => {
    const garbage = await serve((_packet, conn) => conn.send(Buffer.from([0xff, 0xff, 0xff, 0xff])));
    expectViciError(await failure(new ViciClient({ socketPath: garbage.socketPath }).version()), 'PROTOCOL');
    await garbage.close();

    const chatty = await serve((_packet, conn) =>
      conn.send(reply.response(VERSION), reply.response(VERSION)),
    );
    // The first reply may win the race with the second; either way nothing pairs a stray reply.
    const outcome = await new ViciClient({ socketPath: chatty.socketPath })
      .version()
      .catch((e: unknown) => e);
    if (outcome instanceof ViciError) expect(outcome.code).toBe('PROTOCOL');
    else expect(outcome).toEqual(VERSION);
  });

  it('sends load-shared with id, type, raw key bytes and owners', async () => {
    const fake = await serve((_packet, conn) => conn.send(reply.response({ success: 'yes' })));
    const key = Buffer.from([0x00, 0xff, 0x41, 0x80]);
    const client = new ViciClient({ socketPath: fake.socketPath });
    await client.loadShared({ id: 'tun-1', data: key, owners: ['dev.example.com', '203.0.113.1'] });
    const [request] = fake.received;
    expect(request?.name).toBe('load-shared');
    // Compare the raw bytes: the fake decodes values as UTF-8, which would mangle 0xff.
    expect(request?.body.includes(Buffer.concat([Buffer.from([0, 4]), key]))).toBe(true);
    expect(request?.message).toMatchObject({
      id: 'tun-1',
      type: 'IKE',
      owners: ['dev.example.com', '203.0.113.1'],
    });
  });

  it('refuses a shared key without owners before connecting', async () => {
    const fake = await serve(() => {});
    const client = new ViciClient({ socketPath: fake.socketPath });
    await expect(client.loadShared({ data: 'k', owners: [] })).rejects.toThrow(TypeError);
    expect(fake.accepted).toBe(0);
  });

  it('never lets the key reach an error or the logger, even if the daemon echoes it', async () => {
    const key = 'correct-horse-battery-staple-0123456789';
    const forms = [key, Buffer.from(key).toString('hex'), Buffer.from(key).toString('base64')];
    const fake = await serve((_packet, conn) =>
      conn.send(reply.response({ success: 'no', errmsg: `bad key ${forms.join(' / ')}` })),
    );
    const logged: ViciLogEntry[] = [];
    const client = new ViciClient({ socketPath: fake.socketPath, logger: (entry) => logged.push(entry) });
    const error = await failure(client.loadShared({ id: 'x', data: key, owners: ['a'] }));

    expect(error).toBeInstanceOf(ViciCommandError);
    expect((error as ViciCommandError).errmsg).toBe('bad key [REDACTED] / [REDACTED] / [REDACTED]');
    const visible = [
      String(error),
      (error as Error).stack ?? '',
      JSON.stringify(error),
      JSON.stringify(logged),
    ].join('\n');
    for (const form of forms) expect(visible).not.toContain(form);
    expect(logged.map((e) => e.event)).toEqual(['request', 'error']);
  });

  it('keeps the key out of a transport failure of load-shared', async () => {
    const key = 'k3y-material-that-must-not-leak';
    const fake = await serve((_packet, conn) => {
      conn.socket.destroy();
    });
    const logged: ViciLogEntry[] = [];
    const client = new ViciClient({ socketPath: fake.socketPath, logger: (e) => logged.push(e) });
    const error = expectViciError(await failure(client.loadShared({ data: key, owners: ['a'] })), 'CLOSED');
    expect(error.message).not.toContain(key);
    expect(error.stack).not.toContain(key);
    expect(JSON.stringify(logged)).not.toContain(key);
  });

  it('attaches the control log to a failed initiate', async () => {
    const fake = await serve(
      commands((packet, conn) => {
        expect(packet.message).toEqual({ child: 'c', ike: 'i', timeout: '3000', loglevel: '1' });
        conn.send(
          reply.event('control-log', {
            group: 'IKE',
            level: '1',
            'ikesa-name': 'i',
            'ikesa-uniqueid': '7',
            msg: 'received AUTHENTICATION_FAILED notify error',
          }),
          reply.response({ success: 'no', errmsg: "establishing CHILD_SA 'c' failed" }),
        );
      }),
    );
    const client = new ViciClient({ socketPath: fake.socketPath });
    const error = await failure(client.initiate({ child: 'c', ike: 'i', timeoutMs: 3_000 }));
    expect(error).toBeInstanceOf(ViciCommandError);
    expect((error as ViciCommandError).errmsg).toBe("establishing CHILD_SA 'c' failed");
    expect((error as ViciCommandError).log).toEqual([
      {
        group: 'IKE',
        level: 1,
        ikeSaName: 'i',
        ikeSaUniqueId: 7,
        msg: 'received AUTHENTICATION_FAILED notify error',
      },
    ]);
    expect(isAuthenticationFailure(error)).toBe(true);
  });

  it('returns terminate counts and the log', async () => {
    const fake = await serve(
      commands((packet, conn) => {
        expect(packet.message).toEqual({ ike: 'i', force: 'yes', timeout: '500', loglevel: '0' });
        conn.send(
          reply.event('control-log', { group: 'IKE', level: '0', msg: 'deleting IKE_SA' }),
          reply.response({ success: 'yes', matches: '1', terminated: '1' }),
        );
      }),
    );
    const result = await new ViciClient({ socketPath: fake.socketPath }).terminate({
      ike: 'i',
      force: true,
      timeoutMs: 500,
      loglevel: 0,
    });
    expect(result).toEqual({
      matches: 1,
      terminated: 1,
      log: [{ group: 'IKE', level: 0, msg: 'deleting IKE_SA' }],
    });
  });

  it('refuses control log levels that would log key material', async () => {
    const client = new ViciClient({ socketPath: '/nonexistent' });
    await expect(client.initiate({ ike: 'i', loglevel: 4 as never })).rejects.toThrow(RangeError);
  });

  it('keeps the daemon timeout of initiate inside the call deadline', async () => {
    const fake = await serve(
      commands(async (_packet, conn) => {
        await delay(300);
        conn.send(reply.response({ success: 'no', errmsg: "IKE_SA 'i' not established after 200ms" }));
      }),
    );
    // A 100 ms client default must not cut off charon's own answer after its 200 ms timeout.
    const client = new ViciClient({ socketPath: fake.socketPath, timeoutMs: 100 });
    const error = await failure(client.initiate({ ike: 'i', timeoutMs: 200 }));
    expect(error).toBeInstanceOf(ViciCommandError);
    expect(isAuthenticationFailure(error)).toBe(false);
  });

  it('runs get-shared and unload-shared', async () => {
    const fake = await serve((packet, conn) =>
      conn.send(
        packet.name === 'get-shared'
          ? reply.response({ keys: ['a', 'b'] })
          : reply.response({ success: 'yes' }),
      ),
    );
    const client = new ViciClient({ socketPath: fake.socketPath });
    await expect(client.getShared()).resolves.toEqual(['a', 'b']);
    await client.unloadShared('a');
    expect(fake.received.at(-1)?.message).toEqual({ id: 'a' });
    await until(() => fake.open === 0);
    expect(fake.accepted).toBe(2);
  });
});
