import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { SERVER_VERSION } from './version.js';

it('the version the server announces is the package version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(SERVER_VERSION).toBe(pkg.version);
});
