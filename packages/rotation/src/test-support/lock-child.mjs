// A process for the lock tests (issue 19, item 7) that takes a tunnel's rotation lock through @ipsec-psk/rotation
// (the built package, as a server runs it) and then waits to be killed:
//   hold   <pskDir> <account> <tunnel>                  the lock alone; prints "locked" (or "busy")
//   rotate <pskDir> <account> <tunnel> <url> <token>    a real rotation, confirmed at once; the test's simulator
//                                                       holds its persisting call in flight
// Both use a lock stale time of 60 s, as the test does: a lock the test finds is fresh by its mtime, however slow
// the machine.
import { createPskClient } from '@ipsec-psk/core';
import { createRotator, KeyDirectory, silentLogger, TunnelLocks } from '@ipsec-psk/rotation';

const STALE_MS = 60_000;
const [mode, pskDir, accountId, tunnelId, baseUrl, apiToken] = process.argv.slice(2);

// Alive until killed, whatever the lock or the rotation does.
setInterval(() => {}, 1 << 30);

if (mode === 'hold') {
  const locks = new TunnelLocks(new KeyDirectory(pskDir), silentLogger, STALE_MS);
  const release = await locks.tryAcquire(accountId, tunnelId);
  process.stdout.write(release ? 'locked\n' : 'busy\n');
} else {
  const rotator = createRotator({
    client: createPskClient({ apiToken, baseUrl }),
    pskDir,
    defaultAccountId: accountId,
    lockStaleMs: STALE_MS,
    confirm: () => true,
  });
  const answer = await rotator.rotateTunnel({ tunnelId });
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
