import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { Secret } from './secret.js';

const VALUE = 'SENTINEL-psk-7f3a9c';

it('prints as [redacted] in every ordinary way a value gets printed', () => {
  const secret = new Secret(VALUE);
  const holder = { psk: secret, nested: [secret] };
  const renderings = [
    String(secret),
    `${secret}`,
    ['', secret].join(''),
    JSON.stringify(secret),
    JSON.stringify(holder),
    inspect(secret),
    inspect(holder, { depth: 10, showHidden: true }),
    Object.keys(secret).join(),
    Object.getOwnPropertyNames(secret).join(),
  ];
  for (const text of renderings) expect(text).not.toContain(VALUE);
  expect(String(secret)).toBe('[redacted]');
  expect(inspect(holder)).toContain('Secret([redacted])');
});

it('stays redacted through console.log', () => {
  let printed = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      printed += String(chunk);
      done();
    },
  });
  new Console({ stdout: sink, stderr: sink }).log('result:', { psk: new Secret(VALUE) });
  expect(printed).toContain('[redacted]');
  expect(printed).not.toContain(VALUE);
});

it('gives the value only through reveal()', () => {
  const secret = new Secret(VALUE);
  expect(secret.reveal()).toBe(VALUE);
  expect(secret.length).toBe(VALUE.length);
});

it('cannot be given an enumerable copy of the value', () => {
  const secret = new Secret(VALUE);
  expect(() => Object.assign(secret, { leaked: VALUE })).toThrow(TypeError);
});
