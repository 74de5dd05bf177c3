// Where the spec's files are.
import { fileURLToPath } from 'node:url';

export const SPEC_DIR = fileURLToPath(new URL('..', import.meta.url));
export const EXTRACT = 'upstream/cloudflare.json';
export const SOURCE = 'upstream/source.json';
export const OVERLAY = 'overlay.yaml';
export const OUTPUT = 'openapi.yaml';
