import { describe, expect, it } from 'vitest';
import { specValidator } from './spec-validator.js';

const ok = { success: true, errors: [], messages: [] };
const generated = {
  ...ok,
  result: {
    ipsec_tunnel_id: '023e105f4ecef8ad9ca31a8372d0c353',
    psk: 'O3bwKSjnaoCxDoUxjcq4Rk8ZKkezQUiy',
    psk_metadata: { last_generated_on: '2017-06-14T05:20:00Z' },
  },
};
const refused = {
  success: false,
  errors: [{ code: 10000, message: 'Authentication error' }],
  messages: [],
  result: null,
};

describe('specValidator', () => {
  const spec = specValidator();

  it('is compiled once and shared', () => {
    expect(specValidator()).toBe(spec);
  });

  it('takes its routes from the spec', () => {
    expect(spec.operations).toEqual([
      {
        operation: 'list_tunnels',
        method: 'GET',
        segments: ['accounts', '{account_id}', 'magic', 'ipsec_tunnels'],
      },
      {
        operation: 'set_psks',
        method: 'POST',
        segments: ['accounts', '{account_id}', 'magic', 'ipsec_tunnels', 'psk'],
      },
      {
        operation: 'get_tunnel',
        method: 'GET',
        segments: ['accounts', '{account_id}', 'magic', 'ipsec_tunnels', '{ipsec_tunnel_id}'],
      },
      {
        operation: 'psk_generate',
        method: 'POST',
        segments: ['accounts', '{account_id}', 'magic', 'ipsec_tunnels', '{ipsec_tunnel_id}', 'psk_generate'],
      },
      { operation: 'graphql', method: 'POST', segments: ['graphql'] },
    ]);
  });

  it('accepts conforming responses', () => {
    expect(spec.validateResponse('psk_generate', 200, generated)).toEqual([]);
    expect(spec.validateResponse('psk_generate', 403, refused)).toEqual([]);
    expect(spec.validateResponse('get_tunnel', 503, refused)).toEqual([]);
    expect(spec.validateResponse(undefined, 404, refused)).toEqual([]);
  });

  it('catches a success envelope without result.psk', () => {
    const { psk: _psk, ...withoutPsk } = generated.result;
    expect(spec.validateResponse('psk_generate', 200, { ...generated, result: withoutPsk })).toEqual([
      "200 body /result must have required property 'psk'",
    ]);
  });

  it('catches an error code below 1000, success:true on an error, and a missing envelope field', () => {
    const low = { ...refused, errors: [{ code: 999, message: 'x' }] };
    expect(spec.validateResponse('psk_generate', 400, low)).toEqual([
      '400 body /errors/0/code must be >= 1000',
    ]);
    expect(spec.validateResponse('get_tunnel', 500, { ...refused, success: true })).toEqual([
      '500 body /success must be equal to one of the allowed values',
    ]);
    const { messages: _messages, ...noMessages } = refused;
    expect(spec.validateResponse(undefined, 404, noMessages)).toEqual([
      "404 body / must have required property 'messages'",
    ]);
    expect(spec.validateResponse('psk_generate', 400, { ...refused, errors: [] })).toEqual([
      '400 body /errors must NOT have fewer than 1 items',
    ]);
  });

  it('catches undeclared statuses and a malformed Retry-After', () => {
    expect(spec.validateResponse('psk_generate', 302, {})).toEqual([
      'status 302 is not declared for psk_generate',
    ]);
    expect(spec.validateResponse(undefined, 200, generated)).toHaveLength(1);
    expect(spec.validateResponse('psk_generate', 429, refused, { 'retry-after': 'soon' })).toEqual([
      '429 header retry-after must be integer',
    ]);
    expect(spec.validateResponse('psk_generate', 429, refused, { 'retry-after': '30' })).toEqual([]);
  });

  it('types validate_only per its boolean schema', () => {
    const typed = (q: string) => spec.typedQuery('psk_generate', new URLSearchParams(q)).validate_only;
    expect(typed('validate_only=true')).toBe(true);
    expect(typed('validate_only=false')).toBe(false);
    expect(typed('validate_only=True')).toBe('True');
    expect(typed('validate_only=true&validate_only=true')).toEqual(['true', 'true']);
  });

  it('checks path ids, query and body', () => {
    const request = (pathParams: Record<string, string>, query = '', body = '') =>
      spec.validateRequest('psk_generate', { pathParams, query: new URLSearchParams(query), body });
    const ids = { account_id: 'a'.repeat(32), ipsec_tunnel_id: 'b' };
    expect(request(ids)).toBeUndefined();
    expect(request(ids, 'validate_only=true', '{}')).toBeUndefined();
    expect(request({ ...ids, ipsec_tunnel_id: '' })).toMatchObject({ where: 'path' });
    expect(request({ ...ids, account_id: 'a'.repeat(33) })).toMatchObject({ where: 'path' });
    expect(request(ids, 'validate_only=1')).toMatchObject({ where: 'query' });
    expect(request(ids, '', '{"x":1}')).toEqual({
      where: 'body',
      message: '/ must NOT have additional properties (x)',
      pointer: '/x',
    });
    expect(request(ids, '', 'null')).toMatchObject({ where: 'body', pointer: '' });
  });
  it('accepts set_psks and list_tunnels answers, and checks the maps and the tunnels', () => {
    const id = 'c4a7362d577a6c3019a474fd6f485823';
    const applied = {
      ipsec_tunnel_id: id,
      ipsec_id: `a_${id}`,
      psk: 'k',
      psk_metadata: { last_generated_on: '2026-11-27T00:20:00Z' },
    };
    const set = (result: unknown) => spec.validateResponse('set_psks', 200, { ...ok, result });
    expect(set({ successfully_applied_psks: { [id]: applied }, unapplied_psks: { x: 'no' } })).toEqual([]);
    const { ipsec_id: _ipsecId, ...noIpsecId } = applied;
    expect(set({ successfully_applied_psks: { [id]: noIpsecId }, unapplied_psks: { x: 1 } })).toEqual([
      `200 body /result/successfully_applied_psks/${id} must have required property 'ipsec_id'`,
      '200 body /result/unapplied_psks/x must be string',
    ]);
    const tunnel = { id, name: 'n', cloudflare_endpoint: '203.0.113.1', interface_address: '10.0.0.0/31' };
    const list = (bgp: unknown) =>
      spec.validateResponse('list_tunnels', 200, { ...ok, result: { ipsec_tunnels: [{ ...tunnel, bgp }] } });
    expect(list({ customer_asn: 64512, extra_prefixes: ['192.0.2.0/24', '2001:db8::/32'] })).toEqual([]);
    expect(list({ customer_asn: 64512, extra_prefixes: ['192.0.2.0/33'] })).toEqual([
      '200 body /result/ipsec_tunnels/0/bgp/extra_prefixes/0 must match format "cidr"',
    ]);
    expect(
      spec.validateResponse('list_tunnels', 200, { ...ok, result: { ipsec_tunnels: [{ id }] } }),
    ).toHaveLength(3);
  });

  it('checks a set_psks body and points at the missing member', () => {
    const request = (body: string, query = '') =>
      spec.validateRequest('set_psks', {
        pathParams: { account_id: 'a' },
        query: new URLSearchParams(query),
        body,
      });
    expect(request('{"psks":[{"id":"t","psk":"k"}]}', 'validate_only=true')).toBeUndefined();
    expect(request('{"psks":[{"id":"t"}]}')).toEqual({
      where: 'body',
      message: "/psks/0 must have required property 'psk'",
      pointer: '/psks/0/psk',
    });
    expect(request('{"psks":[]}')).toMatchObject({ where: 'body', pointer: '/psks' });
    expect(request('')).toEqual({ where: 'body', message: 'request body is required', pointer: '' });
  });

  it('checks declared header parameters, case-insensitively, and ignores the rest', () => {
    const request = (headers: Record<string, string>) =>
      spec.validateRequest('get_tunnel', {
        pathParams: { account_id: 'a', ipsec_tunnel_id: 't' },
        query: new URLSearchParams(),
        headers,
        body: '',
      });
    expect(request({ 'x-magic-new-hc-target': 'false', 'x-other': 'anything' })).toBeUndefined();
    expect(request({ 'x-magic-new-hc-target': '1' })).toEqual({
      where: 'header',
      message: '/x-magic-new-hc-target must be boolean',
    });
  });
});
