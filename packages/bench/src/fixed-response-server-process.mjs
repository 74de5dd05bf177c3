import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./fixtures/fixed-response-server.mjs', import.meta.url));

/**
 * Forks the fixed-response API server (fixtures/fixed-response-server.mjs) and waits until it listens.
 * Returns its base URL in the shape Cloudflare's clients expect (`…/client/v4`).
 */
export async function startFixedResponseServer(tunnelId) {
  const child = fork(SERVER, [tunnelId], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = await once(child, 'message');
  if (message?.type !== 'listening') throw new Error('the fixed-response server did not start');
  const origin = `http://127.0.0.1:${message.port}`;
  return {
    pid: child.pid,
    baseUrl: `${origin}/client/v4`,
    /** How many requests it saw, and how many were not the expected psk_generate POST. */
    async stats() {
      child.send({ type: 'stats' });
      const [reply] = await once(child, 'message');
      return { requests: reply.requests, unexpected: reply.unexpected };
    },
    async close() {
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}
