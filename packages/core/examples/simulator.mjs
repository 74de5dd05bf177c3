// Rotates a tunnel's key against the local Cloudflare simulator: no account, no token, nothing leaves this machine.
import { createHash } from 'node:crypto';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient, isPskError } from '@ipsec-psk/core';

const sim = await startSimulator({ acceptAnyCredentials: true });
try {
  const client = createPskClient({
    apiToken: 'simulator-token',
    baseUrl: sim.url,
    accountId: DEMO_ACCOUNT_ID,
  });

  const before = await client.getIpsecTunnel({ ipsecTunnelId: DEMO_TUNNEL_ID });
  console.log(
    `tunnel ${before.name} (${before.id}), key last generated ${before.lastGeneratedOn ?? 'never'}`,
  );

  await client.generateIpsecPsk({ ipsecTunnelId: DEMO_TUNNEL_ID, validateOnly: true });
  console.log('validate-only: passed, nothing changed');

  const result = await client.generateIpsecPsk({ ipsecTunnelId: DEMO_TUNNEL_ID });
  const fingerprint = createHash('sha256').update(result.psk.reveal()).digest('hex').slice(0, 16);
  console.log(`generated: ${JSON.stringify(result)}`);
  console.log(
    `new key: ${result.psk.length} characters, sha256 ${fingerprint}… (read it with result.psk.reveal())`,
  );

  sim.inject({ type: 'reset' });
  await client.generateIpsecPsk({ ipsecTunnelId: DEMO_TUNNEL_ID }).catch((error) => {
    if (!isPskError(error)) throw error;
    console.log(`a connection reset after the server persisted: ${error.code}, outcome ${error.outcome}`);
  });
  console.log(`requests the simulator received: ${sim.requests.length}`);
} finally {
  await sim.close();
}
