// Reading an official document (.json, .yaml or either gzipped) and naming it: file name and SHA-256 of its text.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';

export async function readDocument(path) {
  let bytes = await readFile(path);
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  const text = bytes.toString('utf8');
  const plain = path.replace(/\.gz$/, '');
  const document = plain.endsWith('.json') ? JSON.parse(text) : parse(text, { maxAliasCount: -1 });
  if (typeof document?.openapi !== 'string' || typeof document.paths !== 'object') {
    throw new Error(`${basename(path)} is not an OpenAPI document`);
  }
  return { document, name: basename(path), sha256: createHash('sha256').update(bytes).digest('hex') };
}
