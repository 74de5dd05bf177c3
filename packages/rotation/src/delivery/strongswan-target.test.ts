import { Secret } from '@ipsec-psk/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  commands,
  type FakeHandler,
  type FakeViciServer,
  reply,
  startFakeServer,
} from '../test-support/fake-vici-server.js';
import type { StrongswanTarget } from './config-types.js';
import type { DeliveryJob } from './job.js';
import { deliverToStrongswan } from './strongswan-target.js';

// The strongSwan target's conversation with charon, against a scripted VICI server: what it asks for, in what order,
// and what it makes of each answer. The real daemon's behaviour is delivery-ike.test.ts's.

const KEY = 'SENTINELviciKey0a9s8d7f6g5h4j3k2';
const TUNNEL = 'c4a7362d577a6c3019a474fd6f485823';

let server: FakeViciServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const job: DeliveryJob = {
  accountId: '023e105f4ecef8ad9ca31a8372d0c353',
  tunnelId: TUNNEL,
  tunnelName: 'fra-01',
  key: new Secret(KEY),
  fingerprint: 'sha256:0000000000000000',
  keyFile: '/keys/k.psk',
  details: { cloudflareEndpoint: '162.159.64.1' },
  ipsecId: `12345_${TUNNEL}`,
  operation: 'set_psks',
};

function target(socketPath: string, extra: Partial<StrongswanTarget> = {}): StrongswanTarget {
  return {
    kind: 'strongswan',
    label: 'strongswan:cf',
    socketPath,
    connection: 'cf',
    child: 'cf-child',
    timeoutMs: 2_000,
    ...extra,
  };
}

/** charon as it answers a delivery that works, or fails at `failAt`. */
function charon(failAt?: 'terminate' | 'initiate', established = true): FakeHandler {
  return commands((packet, conn) => {
    switch (packet.name) {
      case 'terminate':
        return conn.send(
          failAt === 'terminate'
            ? reply.response({ success: 'no', errmsg: 'no matching SAs to terminate found' })
            : reply.response({ success: 'yes', matches: '1', terminated: '1' }),
        );
      case 'initiate':
        if (failAt === 'initiate') {
          return conn.send(
            reply.event('control-log', {
              group: 'IKE',
              level: '1',
              msg: 'received AUTHENTICATION_FAILED notify error',
            }),
            reply.response({ success: 'no', errmsg: "establishing CHILD_SA 'cf-child' failed" }),
          );
        }
        return conn.send(reply.response({ success: 'yes' }));
      case 'list-sas':
        return conn.send(
          reply.event('list-sa', {
            cf: {
              uniqueid: '7',
              state: established ? 'ESTABLISHED' : 'CONNECTING',
              'child-sas': { 'cf-child-9': { name: 'cf-child', uniqueid: '9', state: 'INSTALLED' } },
            },
          }),
          reply.response(),
        );
      default:
        return conn.send(reply.response({ success: 'yes' }));
    }
  });
}

const commandsSent = (fake: FakeViciServer) =>
  fake.received.filter((packet) => packet.type === 0).map((packet) => packet.name);

describe('the strongSwan target', () => {
  it('replaces the key under one id for the tunnel’s identities, then terminates, initiates and checks', async () => {
    server = await startFakeServer(charon());
    const outcome = await deliverToStrongswan(target(server.socketPath), job, new AbortController().signal);
    expect(outcome).toEqual({
      result: 'delivered',
      detail: `loaded into charon at ${server.socketPath}; the IKE SA of cf is ESTABLISHED with the new key.`,
      ikeUp: true,
    });
    expect(commandsSent(server)).toEqual(['load-shared', 'terminate', 'initiate', 'list-sas']);
    const load = server.received.find((packet) => packet.name === 'load-shared')?.message;
    expect(load).toEqual({
      id: `ipsec-psk-${TUNNEL}`,
      type: 'IKE',
      data: KEY,
      owners: [`keyid:12345_${TUNNEL}`, '162.159.64.1'],
    });
    expect(server.received.find((packet) => packet.name === 'terminate')?.message).toMatchObject({
      ike: 'cf',
      force: 'yes',
    });
    expect(server.received.find((packet) => packet.name === 'initiate')?.message).toMatchObject({
      ike: 'cf',
      child: 'cf-child',
      loglevel: '1',
    });
  });

  it('takes a tunnel with no SA in stride, and uses the identities and key id the operator set', async () => {
    server = await startFakeServer(charon('terminate'));
    const outcome = await deliverToStrongswan(
      target(server.socketPath, {
        localId: { type: 'fqdn', value: 'fra.example.net' },
        remoteId: { type: 'ipv4', value: '198.51.100.9' },
        keyId: 'fra-psk',
      }),
      job,
      new AbortController().signal,
    );
    expect(outcome.result).toBe('delivered');
    expect(server.received.find((packet) => packet.name === 'load-shared')?.message).toMatchObject({
      id: 'fra-psk',
      owners: ['fqdn:fra.example.net', '198.51.100.9'],
    });
  });

  it('reports authentication failure after loading, and ends the half-open attempt', async () => {
    server = await startFakeServer(charon('initiate'));
    const outcome = await deliverToStrongswan(target(server.socketPath), job, new AbortController().signal);
    expect(outcome).toMatchObject({ result: 'failed', code: 'ike_auth_failed', ikeUp: false });
    expect(outcome.detail).toMatch(/authentication failed \(the device and Cloudflare hold different keys\)/);
    expect(commandsSent(server)).toEqual(['load-shared', 'terminate', 'initiate', 'terminate']);
  });

  it('reports an SA that is not listed ESTABLISHED', async () => {
    server = await startFakeServer(charon(undefined, false));
    const outcome = await deliverToStrongswan(target(server.socketPath), job, new AbortController().signal);
    expect(outcome).toMatchObject({ result: 'failed', code: 'ike_not_up', ikeUp: false });
  });

  it('sends nothing when the device’s identity is not known', async () => {
    server = await startFakeServer(charon());
    const outcome = await deliverToStrongswan(
      target(server.socketPath),
      { ...job, ipsecId: undefined },
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({ result: 'failed', code: 'no_identity' });
    expect(outcome.detail).toMatch(/set local_id in the strongswan target\. Nothing was sent to charon\./);
    expect(server.accepted).toBe(0);
  });

  it('is bounded by its timeout when charon never answers, and never quotes the key', async () => {
    server = await startFakeServer(() => {});
    const started = Date.now();
    const outcome = await deliverToStrongswan(
      target(server.socketPath, { timeoutMs: 300 }),
      job,
      new AbortController().signal,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcome).toMatchObject({ result: 'failed', code: 'timeout' });
    expect(JSON.stringify(outcome)).not.toContain(KEY);
  });
});
