import type { Confirmer, FleetAnswer, FormReply, OnProgress } from '@ipsec-psk/rotation';
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { progressReporter } from '../keep-alive.js';
import { askInResult, type ConfirmField, confirmerFor, formReplyOf } from './confirmer.js';
import { toolResult } from './tool-result.js';

/** A flow that sets keys with Set PSKs after the user confirms: a fleet rotation, or putting a previous key back. */
export type FleetFlowRun = (
  reply: FormReply | undefined,
  confirmer: Confirmer,
  onProgress: OnProgress,
) => Promise<FleetAnswer>;

/**
 * One call of a tool on a Set PSKs flow: the user's form answer when this call carries one (MCP 2026-07-28), the
 * confirmer this client allows, progress (which also keeps a patient client waiting), and the answer as a tool
 * result, or the form to carry back.
 */
export async function callFleetFlow(
  server: McpServer,
  ctx: ServerContext,
  field: ConfirmField,
  progressIntervalMs: number,
  run: FleetFlowRun,
) {
  const progress = progressReporter(ctx, progressIntervalMs);
  try {
    const answer = await run(formReplyOf(ctx), confirmerFor(server, ctx, field), progress.report);
    return 'ask' in answer ? askInResult(answer.ask, field) : toolResult(answer);
  } finally {
    progress.stop();
  }
}
