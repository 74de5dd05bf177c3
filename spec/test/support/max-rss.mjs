// Preloaded (`node --import`) into a spec:sync child by the refusal tests: at exit, writes the process's peak resident
// memory as the kernel counted it (getrusage's ru_maxrss, in KiB) to $MAX_RSS_FILE. The script itself is unchanged.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.MAX_RSS_FILE)
    writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS));
});
