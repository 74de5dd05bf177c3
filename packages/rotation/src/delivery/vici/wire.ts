/**
 * The VICI wire format: length-prefixed segments carrying packets, whose messages are trees of
 * sections, key/values and lists. Encoding errors name keys, never values: a value may be a key.
 */
import { ViciError } from './errors.js';

/** VICI packet types (strongSwan's vici README). */
export const PacketType = {
  CMD_REQUEST: 0,
  CMD_RESPONSE: 1,
  CMD_UNKNOWN: 2,
  EVENT_REGISTER: 3,
  EVENT_UNREGISTER: 4,
  EVENT_CONFIRM: 5,
  EVENT_UNKNOWN: 6,
  EVENT: 7,
} as const;
/** One of PacketType's values. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

const NAMED_PACKETS: ReadonlySet<number> = new Set([
  PacketType.CMD_REQUEST,
  PacketType.EVENT_REGISTER,
  PacketType.EVENT_UNREGISTER,
  PacketType.EVENT,
]);

const Element = {
  SECTION_START: 1,
  SECTION_END: 2,
  KEY_VALUE: 3,
  LIST_START: 4,
  LIST_ITEM: 5,
  LIST_END: 6,
} as const;

/** charon ignores longer segments (VICI_MESSAGE_SIZE_MAX); a longer length prefix means we lost sync. */
export const MAX_SEGMENT_BYTES = 512 * 1024;

/** A value a message may carry. */
export type ViciScalar = string | number | boolean | Uint8Array;
/** A message to send. `undefined` members are left out, so optional arguments can be passed as they are. */
export interface ViciInput {
  readonly [key: string]: ViciScalar | readonly ViciScalar[] | ViciInput | undefined;
}
/** A received message. charon sends every value as a string. Sections have no prototype. */
export interface ViciMessage {
  [key: string]: string | string[] | ViciMessage;
}

/** A decoded packet: its type, name (for named types) and message bytes. */
export interface Packet {
  type: PacketType;
  name?: string;
  body: Buffer;
}

/** A message as VICI bytes; errors name keys, never values. */
export function encodeMessage(message: ViciInput): Buffer {
  const out: Buffer[] = [];
  encodeSection(message, out);
  return Buffer.concat(out);
}

function encodeSection(section: ViciInput, out: Buffer[]): void {
  for (const [key, value] of Object.entries(section)) {
    if (value === undefined) continue;
    if (isScalar(value)) {
      out.push(Buffer.of(Element.KEY_VALUE), encodeName(key), encodeValue(key, value));
    } else if (isList(value)) {
      out.push(Buffer.of(Element.LIST_START), encodeName(key));
      for (const item of value) out.push(Buffer.of(Element.LIST_ITEM), encodeValue(key, item));
      out.push(Buffer.of(Element.LIST_END));
    } else {
      out.push(Buffer.of(Element.SECTION_START), encodeName(key));
      encodeSection(value, out);
      out.push(Buffer.of(Element.SECTION_END));
    }
  }
}

function isScalar(value: unknown): value is ViciScalar {
  return typeof value !== 'object' || value instanceof Uint8Array;
}

function isList(value: unknown): value is readonly ViciScalar[] {
  return Array.isArray(value);
}

function encodeName(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > 0xff)
    throw new ViciError('ENCODE', `VICI name '${name.slice(0, 40)}…' exceeds 255 bytes`);
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
}

// The error names the key, never the value: the value may be a pre-shared key.
function encodeValue(key: string, value: ViciScalar): Buffer {
  let bytes: Buffer;
  if (value instanceof Uint8Array) bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  else if (typeof value === 'boolean') bytes = Buffer.from(value ? 'yes' : 'no');
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ViciError('ENCODE', `value of '${key}' is not a finite number`);
    bytes = Buffer.from(String(value));
  } else bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 0xffff) {
    throw new ViciError('ENCODE', `value of '${key}' is ${bytes.length} bytes; VICI allows 65535`);
  }
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Bounds-checked reads; every failure is a PROTOCOL error that says where it happened. */
class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  fail(why: string): ViciError {
    return new ViciError('PROTOCOL', `malformed VICI ${this.what}: ${why} at byte ${this.pos}`);
  }

  u8(): number {
    const value = this.buf[this.pos];
    if (value === undefined) throw this.fail('truncated');
    this.pos += 1;
    return value;
  }

  bytes(length: number): Buffer {
    if (this.pos + length > this.buf.length) throw this.fail('truncated');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  name(): string {
    return this.bytes(this.u8()).toString('utf8');
  }

  value(): string {
    return this.bytes(this.bytes(2).readUInt16BE(0)).toString('utf8');
  }

  rest(): Buffer {
    return this.bytes(this.buf.length - this.pos);
  }
}

function newSection(): ViciMessage {
  // No prototype: a section named "__proto__" from the daemon must stay plain data.
  return Object.create(null) as ViciMessage;
}

/** VICI bytes as a message; malformed input is a PROTOCOL error. */
export function decodeMessage(body: Buffer): ViciMessage {
  const reader = new Reader(body, 'message');
  const root = newSection();
  const stack = [root];
  let list: string[] | undefined;

  const define = (section: ViciMessage, name: string, value: ViciMessage[string]) => {
    if (Object.hasOwn(section, name)) throw reader.fail(`duplicate key '${name}'`);
    section[name] = value;
  };

  while (!reader.done) {
    const type = reader.u8();
    const current = stack[stack.length - 1] as ViciMessage;
    if (list && type !== Element.LIST_ITEM && type !== Element.LIST_END) {
      throw reader.fail(`element ${type} inside a list`);
    }
    switch (type) {
      case Element.SECTION_START: {
        const section = newSection();
        define(current, reader.name(), section);
        stack.push(section);
        break;
      }
      case Element.SECTION_END:
        if (stack.length === 1) throw reader.fail('section end without section');
        stack.pop();
        break;
      case Element.KEY_VALUE: {
        const name = reader.name();
        define(current, name, reader.value());
        break;
      }
      case Element.LIST_START:
        list = [];
        define(current, reader.name(), list);
        break;
      case Element.LIST_ITEM:
        if (!list) throw reader.fail('list item outside a list');
        list.push(reader.value());
        break;
      case Element.LIST_END:
        if (!list) throw reader.fail('list end without list');
        list = undefined;
        break;
      default:
        throw reader.fail(`unknown element type ${type}`);
    }
  }
  if (list || stack.length !== 1) throw reader.fail('unterminated section or list');
  return root;
}

/** A whole transport segment: 32-bit length prefix, packet type, optional name, message. */
export function encodePacket(type: PacketType, name?: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = name === undefined ? Buffer.of(type) : Buffer.concat([Buffer.of(type), encodeName(name)]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length + body.length);
  return Buffer.concat([length, header, body]);
}

/** Parses one segment's payload (without its length prefix). */
export function decodePacket(payload: Buffer): Packet {
  const reader = new Reader(payload, 'packet');
  const type = reader.u8();
  if (type > PacketType.EVENT) throw reader.fail(`unknown packet type ${type}`);
  const name = NAMED_PACKETS.has(type) ? reader.name() : undefined;
  return { type: type as PacketType, ...(name === undefined ? {} : { name }), body: reader.rest() };
}

/** Reassembles segments from a byte stream: a read may hold part of one, or several. */
export class SegmentDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const segments: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (length === 0 || length > MAX_SEGMENT_BYTES) {
        throw new ViciError('PROTOCOL', `invalid VICI segment length ${length}`);
      }
      if (this.pending.length < 4 + length) break;
      segments.push(this.pending.subarray(4, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    return segments;
  }
}
