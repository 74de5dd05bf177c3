import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** Something this host would hand the model. */
export type ModelVisible =
  | { kind: 'tool-result'; name: string; result: unknown }
  | { kind: 'notification'; notification: unknown }
  | { kind: 'model-context'; params: unknown }
  | { kind: 'message'; params: unknown };

export interface TestHost {
  url: string;
  /** Where the panel's sandboxed frame is served: another origin (localhost, the next port). */
  sandboxUrl: string;
  client: Client;
  tools: Tool[];
  forModel: ModelVisible[];
  forApp: { name: string; result: unknown }[];
  stderr: string[];
  close(): Promise<void>;
}

export function startTestHost(options: {
  server: { command: string; args?: string[]; env?: Record<string, string> };
  theme?: 'light' | 'dark';
  /** The page's port (the panel's frame gets the next one); default any free port. */
  port?: number;
}): Promise<TestHost>;
