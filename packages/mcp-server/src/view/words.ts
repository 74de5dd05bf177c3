// Errors in the panel in plain words: the SDK's wording for arguments a tool does not take becomes what it means to
// the person looking at the panel; anything else is the server's own text.

const INVALID_ARGUMENTS =
  /^(?:MCP error -32602: )?(?:Input validation error: )?Invalid arguments for tool [\w-]+: ([\s\S]*)$/;

/** The server's sentence to the model about the person's answer, addressed to the person instead. */
export function toPerson(text: string): string {
  return text
    .trim()
    .replace(/^\[sandbox\] /, '')
    .replace(/^The user (declined|cancelled) /, 'You $1 ');
}

/** The error text a person reads: a refused argument named with its rule, once; `[sandbox]` left to the badge. */
export function plainError(text: string): string {
  const trimmed = text.trim().replace(/^\[sandbox\] /, '');
  const invalid = INVALID_ARGUMENTS.exec(trimmed);
  if (!invalid) return trimmed.replace(/^MCP error -?\d+: /, '');
  // "field: rule, field: rule" from the SDK; the same rule may come once per failed check.
  const rules = [
    ...new Set(
      (invalid[1] as string)
        .split(/, (?=[a-z_]+: )/)
        .map((part) => part.trim().replace(/^([a-z_]+): (?=\1 )/, '')),
    ),
  ];
  return (
    `Your assistant asked with a value this tool does not take (${rules.join('; ')}). ` +
    'Ask it to check the tunnel id: list_ipsec_tunnels shows every tunnel of the account.'
  );
}
