import { describe, expect, it } from 'vitest';
import { PskError } from './errors.js';
import { validateBaseUrl } from './urls.js';

// #7.11: credentials travel in headers, so plain http may only go to this machine: a literal loopback address
// or `localhost`, never a name that merely starts like one.
describe('#7.11 plain http only to loopback', () => {
  it.each([
    'http://127.attacker.example/client/v4',
    'http://127.0.0.1.nip.io/client/v4',
    'http://127-0-0-1.example/client/v4',
    'http://localhost.attacker.example/client/v4',
    'http://[::2]/client/v4',
    'http://10.0.0.1/client/v4',
  ])('refuses %s', (url) => {
    let thrown: unknown;
    try {
      validateBaseUrl(url, 'baseUrl');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PskError);
    expect(thrown).toMatchObject({ code: 'invalid_input', field: 'baseUrl' });
    expect((thrown as Error).message).toMatch(/must use https.*loopback/);
  });

  it.each([
    ['http://127.0.0.1:8787/client/v4', 'http://127.0.0.1:8787/client/v4'],
    ['http://127.1.2.3/client/v4/', 'http://127.1.2.3/client/v4'],
    ['http://localhost:9/client/v4', 'http://localhost:9/client/v4'],
    ['http://[::1]:9/client/v4', 'http://[::1]:9/client/v4'],
    // The URL parser writes IPv4 literals out in full, so a short form is the same address.
    ['http://127.1:9/x', 'http://127.0.0.1:9/x'],
    ['https://api.cloudflare.com/client/v4', 'https://api.cloudflare.com/client/v4'],
  ])('accepts %s', (url, normalised) => {
    expect(validateBaseUrl(url, 'baseUrl')).toBe(normalised);
  });
});
