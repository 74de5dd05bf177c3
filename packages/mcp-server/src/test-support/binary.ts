import { fileURLToPath } from 'node:url';

/** The compiled binary, exactly as an MCP client starts it (turbo builds it before these tests). */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
