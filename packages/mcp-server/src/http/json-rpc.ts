import type { Response } from 'express';

/**
 * Answers an HTTP request that never reached MCP with a JSON-RPC error, as the transport itself does: clients
 * parse JSON-RPC, not express's HTML error pages. The message is ours alone, never an echo of the request.
 */
export function jsonRpcError(
  res: Response,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.status(status).set(headers).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** JSON-RPC error codes used here. */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  /** Implementation-defined server errors. */
  server: -32000,
} as const;
