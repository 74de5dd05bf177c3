import { describe, expect, it } from 'vitest';
import { reply } from '../../test-support/fake-vici-server.js';
import {
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  MAX_SEGMENT_BYTES,
  PacketType,
  SegmentDecoder,
  ViciError,
} from './client.js';

/** The encoding example of strongSwan's vici README, byte for byte. */
// biome-ignore format: mirrors the README layout
const README_EXAMPLE = Buffer.from([
  3, 4, ...Buffer.from('key1'), 0, 6, ...Buffer.from('value1'),
  1, 8, ...Buffer.from('section1'),
  1, 11, ...Buffer.from('sub-section'),
  3, 4, ...Buffer.from('key2'), 0, 6, ...Buffer.from('value2'),
  2,
  4, 5, ...Buffer.from('list1'),
  5, 0, 5, ...Buffer.from('item1'),
  5, 0, 5, ...Buffer.from('item2'),
  6,
  2,
]);

const README_TREE = {
  key1: 'value1',
  section1: { 'sub-section': { key2: 'value2' }, list1: ['item1', 'item2'] },
};

function expectEncodeError(encode: () => unknown): ViciError {
  try {
    encode();
  } catch (error) {
    expect(error).toBeInstanceOf(ViciError);
    expect((error as ViciError).code).toBe('ENCODE');
    return error as ViciError;
  }
  throw new Error('expected encoding to fail');
}

describe('message codec', () => {
  it('encodes the README example byte for byte', () => {
    expect(encodeMessage(README_TREE)).toEqual(README_EXAMPLE);
  });

  it('decodes the README example', () => {
    expect(decodeMessage(README_EXAMPLE)).toEqual(README_TREE);
  });

  it('encodes booleans as yes/no, numbers as text, bytes as they are, and skips undefined', () => {
    const bytes = Uint8Array.of(0, 255, 10);
    const decoded = decodeMessage(
      encodeMessage({ a: true, b: false, c: 42, d: undefined, e: Buffer.from(bytes) }),
    );
    expect(decoded).toEqual({ a: 'yes', b: 'no', c: '42', e: Buffer.from(bytes).toString('utf8') });
  });

  it('refuses a value too long for its 16-bit length, without quoting it', () => {
    const error = expectEncodeError(() => encodeMessage({ data: 'S'.repeat(70_000) }));
    expect(error.message).toBe("value of 'data' is 70000 bytes; VICI allows 65535");
  });

  it('refuses a name longer than 255 bytes', () => {
    expectEncodeError(() => encodeMessage({ ['n'.repeat(256)]: 'x' }));
  });

  it.each([
    ['a truncated value', Buffer.from([3, 1, 0x61, 0, 5, 0x61])],
    ['a section end without section', Buffer.from([2])],
    ['a list item outside a list', Buffer.from([5, 0, 1, 0x61])],
    ['a list inside a list', Buffer.from([4, 1, 0x61, 4, 1, 0x62, 6, 6])],
    ['a key/value inside a list', Buffer.from([4, 1, 0x61, 3, 1, 0x62, 0, 0, 6])],
    ['an unterminated section', Buffer.from([1, 1, 0x61])],
    ['an unterminated list', Buffer.from([4, 1, 0x61])],
    ['an unknown element', Buffer.from([9])],
    ['a duplicate key', Buffer.from([3, 1, 0x61, 0, 0, 3, 1, 0x61, 0, 0])],
  ])('rejects %s', (_, body) => {
    expect(() => decodeMessage(body)).toThrow(/malformed VICI message/);
  });

  it('keeps a section named __proto__ as plain data', () => {
    const decoded = decodeMessage(encodeMessage({ __proto__: { polluted: 'yes' } } as never));
    expect(Object.getPrototypeOf(decoded)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('packets and segments', () => {
  it('frames named and unnamed packets', () => {
    const request = encodePacket(PacketType.CMD_REQUEST, 'version');
    expect(request).toEqual(Buffer.from([0, 0, 0, 9, 0, 7, ...Buffer.from('version')]));
    expect(decodePacket(request.subarray(4))).toEqual({
      type: PacketType.CMD_REQUEST,
      name: 'version',
      body: Buffer.alloc(0),
    });
    const response = encodePacket(PacketType.CMD_RESPONSE, undefined, encodeMessage({ a: 'b' }));
    expect(decodePacket(response.subarray(4))).toEqual({
      type: PacketType.CMD_RESPONSE,
      body: encodeMessage({ a: 'b' }),
    });
  });

  it('rejects an unknown packet type', () => {
    expect(() => decodePacket(Buffer.from([8]))).toThrow(/unknown packet type 8/);
  });

  it('reassembles segments fed one byte at a time', () => {
    const stream = Buffer.concat([reply.response({ a: '1' }), reply.event('x', { b: '2' })]);
    const decoder = new SegmentDecoder();
    const segments = [...stream].flatMap((byte) => decoder.push(Buffer.of(byte)));
    expect(segments.map((s) => decodePacket(s).type)).toEqual([PacketType.CMD_RESPONSE, PacketType.EVENT]);
  });

  it('splits several segments out of one chunk and keeps the partial rest', () => {
    const one = reply.confirm();
    const two = reply.response({ k: 'v' });
    const decoder = new SegmentDecoder();
    expect(decoder.push(Buffer.concat([one, two, two.subarray(0, 3)]))).toHaveLength(2);
    expect(decoder.push(two.subarray(3))).toHaveLength(1);
  });

  it.each([0, MAX_SEGMENT_BYTES + 1])('rejects a segment length of %i', (length) => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(length);
    expect(() => new SegmentDecoder().push(prefix)).toThrow(/invalid VICI segment length/);
  });
});
