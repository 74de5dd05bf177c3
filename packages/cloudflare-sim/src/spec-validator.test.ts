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
        operation: 'psk_generate',
        method: 'POST',
        segments: ['accounts', '{account_id}', 'magic', 'ipsec_tunnels', '{ipsec_tunnel_id}', 'psk_generate'],
      },
      {
        operation: 'get_tunnel',
        method: 'GET',
        segments: ['accounts', '{account_id}', 'magic', 'ipsec_tunnels', '{ipsec_tunnel_id}'],
      },
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
      '500 body /success must be equal to constant',
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
});
