import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { KeyDirectory } from '../store/key-directory.js';

// Confirmations outlive the connection, the server instance and the process that asked: a token issued on one MCP
// connection confirms on another, after a restart, or in another process on the same key directory. So everything
// about them lives under `<key directory>/consent/`, with the key directory's trust rules: a secret that signs them
// (created once, 0600), and one directory per confirmation holding what was asked and markers created with O_EXCL,
// which is what makes "spent once" hold across processes.

const SECRET_FILE = 'secret';
const SECRET_BYTES = 32;
/** How long a confirmation's directory is kept after it expired: long enough to tell "expired" from "unknown". */
const KEEP_AFTER_EXPIRY_MS = 60 * 60_000;

const isNotFound = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';
const exists = (error: unknown) => (error as NodeJS.ErrnoException).code === 'EEXIST';

/** Confirmation ids are ours: 22 base64url characters. Anything else is refused before a path is built from it. */
export const CONSENT_ID = /^[A-Za-z0-9_-]{22}$/;

/** A new confirmation id (128 random bits). */
export const newConsentId = () => randomBytes(16).toString('base64url');

/** What every confirmation's record starts with. */
export interface ConsentRecord {
  issuedAt: number;
  expiresAt: number;
  /** Digest of the principal it is bound to (empty principal on stdio). */
  principal: string;
}

/** The `consent/` directory of a key directory: its signing secret and one directory per confirmation. */
export class ConsentDirectory {
  private secret: Promise<Buffer> | undefined;

  constructor(
    readonly keys: KeyDirectory,
    private readonly now: () => number = Date.now,
  ) {}

  /** The signing secret: created (32 random bytes, 0600) by whichever process needs it first, then shared. */
  private async loadSecret(): Promise<Buffer> {
    const dir = await this.keys.ensure('consent');
    const path = join(dir, SECRET_FILE);
    const existing = await this.keys.readFile(path);
    if (existing !== undefined) return Buffer.from(existing.trim(), 'hex');
    // Written whole under a private name, then linked into place: link never replaces, so two processes creating it
    // at once agree on one secret, and nobody ever reads a half-written one.
    const temp = join(dir, `.${SECRET_FILE}-${process.pid}-${randomBytes(4).toString('hex')}`);
    const handle = await this.keys.createFile(temp);
    try {
      await handle.writeFile(randomBytes(SECRET_BYTES).toString('hex'), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await this.keys.fs.link(temp, path);
    } catch (error) {
      if (!exists(error)) throw error;
    } finally {
      await this.keys.fs.rm(temp, { force: true });
    }
    const written = await this.keys.readFile(path);
    if (written === undefined)
      throw Object.assign(new Error('the consent secret vanished'), { code: 'ENOENT' });
    return Buffer.from(written.trim(), 'hex');
  }

  /** HMAC-SHA256 of `data` under the secret, base64url. */
  async sign(data: string): Promise<string> {
    this.secret ??= this.loadSecret().catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    return createHmac('sha256', await this.secret)
      .update(data)
      .digest('base64url');
  }

  /** Whether `mac` is the signature of `data`, compared in constant time. */
  async verify(data: string, mac: string): Promise<boolean> {
    const expected = Buffer.from(await this.sign(data), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private async dir(id: string): Promise<string> {
    if (!CONSENT_ID.test(id)) throw new RangeError('not a confirmation id');
    return join(await this.keys.ensure('consent'), id);
  }

  /** Records a new confirmation: its directory and `record.json` (0600). */
  async create(id: string, record: ConsentRecord & object): Promise<void> {
    await this.sweep();
    const dir = await this.keys.ensure('consent', id);
    await this.write(dir, 'record.json', JSON.stringify(record));
  }

  /** The record of a confirmation, or undefined when there is none (never issued, or swept long after expiry). */
  async read<T extends ConsentRecord>(id: string): Promise<T | undefined> {
    try {
      const text = await this.keys.readFile(join(await this.dir(id), 'record.json'));
      return text === undefined ? undefined : (JSON.parse(text) as T);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Creates marker `name` of a confirmation with `content`, or says it already existed: O_EXCL makes the first
   * process to get here the only one, whatever else runs on the key directory.
   */
  async mark(id: string, name: string, content = ''): Promise<'created' | 'exists'> {
    const dir = await this.dir(id);
    try {
      await this.write(dir, name, content);
      return 'created';
    } catch (error) {
      if (exists(error)) return 'exists';
      // A confirmation swept (or never created) has no directory: nothing can be marked, and nothing confirmed.
      if (isNotFound(error)) return 'exists';
      throw error;
    }
  }

  /** A marker's content, or undefined when it is not there. */
  async marker(id: string, name: string): Promise<string | undefined> {
    return this.keys.readFile(join(await this.dir(id), name));
  }

  /** Removes a marker (a key kept for Reveal, forgotten). */
  async unmark(id: string, name: string): Promise<void> {
    await this.keys.fs.rm(join(await this.dir(id), name), { force: true });
  }

  private async write(dir: string, name: string, content: string): Promise<void> {
    const handle = await this.keys.createFile(join(dir, name));
    try {
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
  }

  /** Drops confirmations that expired a while ago; whatever fails here is retried by the next sweep. */
  private async sweep(): Promise<void> {
    const root = await this.keys.ensure('consent');
    const names = await this.keys.fs.readdir(root).catch(() => [] as string[]);
    const before = this.now() - KEEP_AFTER_EXPIRY_MS;
    for (const name of names) {
      if (!CONSENT_ID.test(name)) continue;
      const record = await this.read(name).catch(() => undefined);
      if (record && record.expiresAt < before) {
        await this.keys.fs.rm(join(root, name), { recursive: true, force: true }).catch(() => {});
      }
    }
  }
}
