// What our document adds that Cloudflare's does not describe at all (as opposed to the fixes, which change what
// it describes). Each addition is an overlay action whose nodes carry `x-ipsec-psk-addition: true`. spec:sync never
// extracts or compares them (they are not Cloudflare's), names them in its report, and asks for a review when
// Cloudflare's document starts describing one itself: then its description should replace ours.

/** The marker on every node (operation, schema, response, tag) that is our addition. */
export const ADDITION_MARKER = 'x-ipsec-psk-addition';

/** Operations we describe ourselves, by our operationId, with where they sit. */
export const ADDITIONS = {
  'analytics-graphql-query': { path: '/graphql', method: 'post' },
};

/**
 * Which of our additions `document` (Cloudflare's) describes itself: by our operationId anywhere, or by the same
 * method and path. Each is named as `operationId (METHOD path)`.
 */
export function upstreamDescribes(document) {
  const found = [];
  for (const [id, { path, method }] of Object.entries(ADDITIONS)) {
    const samePlace = document.paths?.[path]?.[method] !== undefined;
    const sameId = Object.values(document.paths ?? {}).some((item) =>
      Object.values(item ?? {}).some((operation) => operation?.operationId === id),
    );
    if (samePlace || sameId) found.push(`${id} (${method.toUpperCase()} ${path})`);
  }
  return found;
}
