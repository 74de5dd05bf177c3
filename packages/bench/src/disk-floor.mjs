// What the rule "every key in its own synced file before it is sent" costs on this machine's disk, with nothing
// else: a folder per tunnel and a 0600 key file written, synced, renamed, and the folder synced, 16 at a time, as
// the engine stores them. No locks, audit lines or requests: the floor under our fleet's time at 0 ms latency,
// measured in the same interleaved runs, so a slow disk shows as a slow disk and not as a slow engine.
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pMap from 'p-map';

const CONCURRENCY = 16;

async function syncedFile(dir, name, text) {
  const temporary = join(dir, `.${name}.tmp`);
  const file = await open(temporary, 'wx', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, join(dir, name));
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Milliseconds to store `count` keys as the rule requires, in a new temporary directory (removed after). */
export async function measureDiskFloor(count) {
  const root = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-floor-'));
  const start = performance.now();
  try {
    await pMap(
      Array.from({ length: count }, (_, index) => index),
      async (index) => {
        const dir = join(root, String(index).padStart(32, '0'));
        await mkdir(dir, { mode: 0o700 });
        await syncedFile(dir, 'key.psk', 'x'.repeat(32));
      },
      { concurrency: CONCURRENCY },
    );
    return performance.now() - start;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
