import { ConfigError } from '@ipsec-psk/rotation';
import { describe, expect, it } from 'vitest';
import { hashToken } from './http/bearer-tokens.js';
import { loadHttpConfig } from './http/http-config.js';

const ALICE = 'ipsk_SENTINELaliceToken0000000000000000000001';

describe('loadHttpConfig', () => {
  it('refuses a bind that is not loopback without authentication', () => {
    expect(() => loadHttpConfig({}, { host: '0.0.0.0', port: 8787 }, () => '')).toThrow(ConfigError);
    expect(() => loadHttpConfig({}, { host: '0.0.0.0', port: 8787 }, () => '')).toThrow(
      /not loopback, needs authentication/,
    );
  });

  it('OAuth needs the public URL, which must be https unless loopback', () => {
    expect(() =>
      loadHttpConfig(
        { IPSEC_PSK_OAUTH_ISSUER: 'https://id.example' },
        { host: '0.0.0.0', port: 1 },
        () => '',
      ),
    ).toThrow(/IPSEC_PSK_HTTP_PUBLIC_URL must be set in OAuth mode/);
    expect(() =>
      loadHttpConfig(
        { IPSEC_PSK_OAUTH_ISSUER: 'https://id.example', IPSEC_PSK_HTTP_PUBLIC_URL: 'http://psk.example/mcp' },
        { host: '0.0.0.0', port: 1 },
        () => '',
      ),
    ).toThrow(/must be https/);
  });

  it('a non-loopback bind accepts only its public host name', () => {
    const config = loadHttpConfig(
      {
        IPSEC_PSK_HTTP_TOKENS: `alice ${hashToken(ALICE)}`,
        IPSEC_PSK_HTTP_PUBLIC_URL: 'https://psk.example.com/mcp',
      },
      { host: '0.0.0.0', port: 8787 },
      () => '',
    );
    expect(config.allowedHosts).toEqual(['psk.example.com']);
    expect(config.allowedOrigins).toEqual(['https://psk.example.com']);
  });
});
