import { randomUUID } from 'node:crypto';
import type { Answered, Rotation, RotationOutput } from '@ipsec-psk/rotation';
import { inputRequired, type McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { capabilitiesOf, eraOf, opensUrls, showsApps } from './client-context.js';
import { toolResult } from './tool-result.js';

/** The key in `inputRequests` (2026-07-28) of the page's offer. */
const PAGE_KEY = 'key_page';
/** How long the user has to answer the offer itself (opening the page has its own five minutes). */
const OFFER_TIMEOUT_MS = 2 * 60_000;

/** What a tool needs to offer a key's page (the HTTP mode's one-time pages). */
export interface KeyLinkOffer {
  /** A one-time link to the key in `file`, for `principal` alone. */
  offer(key: {
    principal: string;
    accountId: string;
    tunnelId: string;
    file: string;
    fingerprint: string;
  }): string;
}

/** What offering a key's page needs: where links come from, and who the user is. */
export interface KeyPageDeps {
  links: KeyLinkOffer;
  principal: string;
}

/**
 * After a rotation over HTTP, a user whose host shows no panel cannot read the key's file: offer them its one-time
 * page by URL-mode elicitation, which the host shows to the user and never to the model. On a 2025-11-25 session the
 * offer is a server-to-client request; on 2026-07-28 it is one more `input_required` round, whose state brings the
 * finished result back. Undefined when there is nothing to offer (the answer is then sent as it is).
 */
export async function offerKeyPage(
  server: McpServer,
  ctx: ServerContext,
  rotation: Rotation,
  answer: Answered<RotationOutput>,
  deps: KeyPageDeps | undefined,
) {
  const { output } = answer;
  const capabilities = capabilitiesOf(server, ctx);
  if (!deps || output.status !== 'generated' || !output.psk_file || !output.psk_fingerprint) return undefined;
  if (showsApps(capabilities) || !opensUrls(capabilities)) return undefined;
  const url = deps.links.offer({
    principal: deps.principal,
    accountId: output.account_id,
    tunnelId: output.ipsec_tunnel_id,
    file: output.psk_file,
    fingerprint: output.psk_fingerprint,
  });
  const message =
    `The new key of IPsec tunnel ${output.ipsec_tunnel_id} is on the server. Open this one-time page to see it ` +
    '(once, within five minutes; it asks for your access token).';
  const told = {
    ...answer,
    text: `${answer.text} The user was offered a one-time page, outside this conversation, that shows them the key.`,
  };
  if (eraOf(ctx) === 'modern') {
    const held = await rotation.holdAnswer(told);
    if (typeof held !== 'string') return toolResult(answer);
    return inputRequired({
      inputRequests: { [PAGE_KEY]: inputRequired.elicitUrl({ message, url }) },
      requestState: held,
    });
  }
  // The offer's answer only says whether the user agreed to open the page; the result is the same either way.
  await ctx.mcpReq
    .elicitInput(
      { mode: 'url', message, url, elicitationId: randomUUID() },
      { timeout: OFFER_TIMEOUT_MS, signal: ctx.mcpReq.signal, relatedRequestId: ctx.mcpReq.id },
    )
    .catch(() => undefined);
  return toolResult(told);
}
