// Reading an official document (.json, .yaml or either gzipped) and naming it: file name and SHA-256 of its text.
// It comes from outside, so each bound (refusal.mjs) is checked before the work it protects: the size before the
// text is held in full (gunzip stops at the cap), JSON nesting before JSON.parse builds it, YAML nesting while the
// parser builds it and before the library composes it recursively, alias expansion by the yaml library's own limit.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Composer, Lexer, Parser } from 'yaml';
import { MAX_ALIAS_COUNT, MAX_DEPTH, MAX_TEXT_BYTES, Refusal, shown } from './refusal.mjs';

const TOO_LARGE = `its text is over ${MAX_TEXT_BYTES / 1024 / 1024} MiB`;
const TOO_DEEP = `it nests deeper than ${MAX_DEPTH} levels`;

/** The file's bytes, decompressed when it ends in .gz; never more than MAX_TEXT_BYTES of either. */
async function readText(path) {
  let bytes;
  let file;
  try {
    file = await open(path);
    const info = await file.stat();
    if (!info.isFile()) throw new Refusal('it is not a file');
    if (info.size > MAX_TEXT_BYTES) throw new Refusal(TOO_LARGE);
    bytes = await file.readFile();
  } catch (error) {
    if (error.code === 'ENOENT') throw new Refusal('no such file');
    if (error.code === 'EISDIR') throw new Refusal('it is not a file');
    if (error.code === 'EACCES' || error.code === 'EPERM')
      throw new Refusal(`it cannot be read (${error.code})`);
    throw error;
  } finally {
    await file?.close();
  }
  if (!path.endsWith('.gz')) return bytes;
  try {
    // zlib stops inflating, and frees what it made, as soon as the output passes the cap.
    return await promisify(gunzip)(bytes, { maxOutputLength: MAX_TEXT_BYTES });
  } catch (error) {
    if (error.code === 'ERR_BUFFER_TOO_LARGE') throw new Refusal(`${TOO_LARGE} once decompressed`);
    if (error.code?.startsWith('Z_')) throw new Refusal(`it is not gzip data (${error.message})`);
    throw error;
  }
}

/**
 * Where JSON text first nests deeper than MAX_DEPTH, or -1. JSON.parse itself has no depth limit, and 20 MB of
 * `[` would make 20 million arrays (gigabytes); this scan holds nothing. Bytes, not characters: in UTF-8 no byte
 * of a multi-byte character is a quote, a backslash or a bracket.
 */
function jsonTooDeepAt(bytes) {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (inString) {
      if (byte === 0x5c) index++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > MAX_DEPTH) return index;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return -1;
}

function parseJson(bytes) {
  const at = jsonTooDeepAt(bytes);
  if (at >= 0) throw new Refusal(`${TOO_DEEP} (at byte ${at})`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new Refusal(`it is not valid JSON (${error.message})`);
  }
}

/**
 * YAML through the yaml library's own stages, so that nesting is bounded where it is built: the parser's stack is
 * the nesting in progress, and the composer (recursive: a few thousand levels overflow the stack, and tens of
 * thousands exhaust memory) only gets documents whose nesting stayed within MAX_DEPTH.
 */
function parseYaml(text) {
  const parser = new Parser();
  function* tokens() {
    for (const lexeme of new Lexer().lex(text)) {
      yield* parser.next(lexeme);
      if (parser.stack.length > MAX_DEPTH) throw new Refusal(`${TOO_DEEP} (at offset ${parser.offset})`);
    }
    yield* parser.end();
  }
  const documents = [...new Composer().compose(tokens(), true, text.length)];
  if (documents.length !== 1) throw new Refusal(`it holds ${documents.length} YAML documents, not one`);
  const [document] = documents;
  const [error] = document.errors;
  if (error) throw new Refusal(`it is not valid YAML (${error.message.split('\n')[0]})`);
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new Refusal(`its YAML aliases expand too far (${error.message}; maxAliasCount ${MAX_ALIAS_COUNT})`);
  }
}

/** The top level every OpenAPI 3.x document has, which the extract relies on. */
function checkOpenApi(document) {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new Refusal(`it is not an OpenAPI document: its top level is not an object but ${shown(document)}`);
  }
  const { openapi, paths } = document;
  if (typeof openapi !== 'string' || !/^3\.\d+\.\d+/.test(openapi)) {
    throw new Refusal(`it is not an OpenAPI 3.x document: openapi is ${shown(openapi)}`);
  }
  if (paths === null || typeof paths !== 'object' || Array.isArray(paths)) {
    throw new Refusal(`it is not an OpenAPI document: paths is missing or not an object (${shown(paths)})`);
  }
}

/** Reads and checks the document at `path`; throws a Refusal naming the rule when it cannot be read safely. */
export async function readDocument(path) {
  const bytes = await readText(path);
  const plain = path.replace(/\.gz$/, '');
  const document = plain.endsWith('.json') ? parseJson(bytes) : parseYaml(bytes.toString('utf8'));
  checkOpenApi(document);
  return { document, name: basename(path), sha256: createHash('sha256').update(bytes).digest('hex') };
}
