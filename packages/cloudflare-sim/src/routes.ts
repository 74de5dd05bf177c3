import type { SpecOperation } from './spec-validator.js';

/** The API base path, as in `https://api.cloudflare.com/client/v4`. */
export const BASE_PATH = '/client/v4';

/** A spec operation whose path template matches, with the raw (still percent-encoded) path parameters. */
export interface RouteMatch {
  /** The operation. */
  op: SpecOperation;
  /** Path parameters by name, as they appear in the URL. */
  params: Record<string, string>;
}

/** Every operation whose path template matches `path`, whatever its method; empty for an unknown route. */
export function matchRoute(operations: readonly SpecOperation[], path: string): RouteMatch[] {
  if (!path.startsWith(`${BASE_PATH}/`)) return [];
  const segments = path.slice(BASE_PATH.length + 1).split('/');
  const matches: RouteMatch[] = [];
  for (const op of operations) {
    if (op.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = op.segments.every((template, i) => {
      const actual = segments[i] ?? '';
      const name = /^\{(.+)\}$/.exec(template)?.[1];
      if (name) params[name] = actual;
      return name !== undefined || template === actual;
    });
    if (ok) matches.push({ op, params });
  }
  return matches;
}
