import { describe, expect, it } from 'vitest';
import { plainError, toPerson } from './words.js';

const RULE = 'ipsec_tunnel_id must be 1 to 32 characters, without "/", "\\", "?", "#", "%", "..", whitespace';

describe('the panel’s words for errors and answers', () => {
  it('an argument the tool refuses: the rule once, in plain words, no protocol code', () => {
    const sdk = `MCP error -32602: Input validation error: Invalid arguments for tool generate_ipsec_psk: ipsec_tunnel_id: ${RULE}, ipsec_tunnel_id: ${RULE}`;
    const text = plainError(sdk);
    expect(text).toBe(
      `Your assistant asked with a value this tool does not take (${RULE}). Ask it to check the tunnel id: ` +
        'list_ipsec_tunnels shows every tunnel of the account.',
    );
  });

  it('two fields refused: both named', () => {
    const text = plainError(
      'Input validation error: Invalid arguments for tool rotate_ipsec_psks: account_id: account_id must be x, ipsec_tunnel_ids: too many',
    );
    expect(text).toContain('(account_id must be x; ipsec_tunnel_ids: too many)');
  });

  it('the server’s own errors stay its words, without a protocol prefix or the sandbox tag', () => {
    expect(plainError('[sandbox] Validation failed; nothing was changed.')).toBe(
      'Validation failed; nothing was changed.',
    );
    expect(plainError('MCP error -32001: Request timed out')).toBe('Request timed out');
  });

  it('the sentence for the model about the person’s answer is addressed to the person', () => {
    expect(toPerson('[sandbox] The user declined the rotation. Nothing was sent.')).toBe(
      'You declined the rotation. Nothing was sent.',
    );
    expect(toPerson('The user cancelled the bulk rotation.')).toBe('You cancelled the bulk rotation.');
  });
});
