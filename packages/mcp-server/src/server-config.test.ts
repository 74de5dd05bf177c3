import { ConfigError } from '@ipsec-psk/rotation';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from './server-config.js';

const TOKEN = 'SENTINELserverConfigToken7q8r';

describe('loadServerConfig', () => {
  it('reads the shared settings and the server’s own', () => {
    const config = loadServerConfig(
      {
        CLOUDFLARE_API_TOKEN: TOKEN,
        IPSEC_PSK_DIR: '/var/lib/ipsec-psk',
        IPSEC_PSK_CONFIRM: 'elicit',
        IPSEC_PSK_APP_REVEAL: '0',
      },
      { sandbox: false },
    );
    expect(config).toMatchObject({ pskDir: '/var/lib/ipsec-psk', confirmMode: 'elicit', appReveal: false });
  });

  it('defaults: auto confirmation, the panel may reveal', () => {
    expect(loadServerConfig({ CLOUDFLARE_API_TOKEN: TOKEN }, { sandbox: false })).toMatchObject({
      confirmMode: 'auto',
      appReveal: true,
    });
  });

  it.each([
    [{ IPSEC_PSK_CONFIRM: 'always' }, 'IPSEC_PSK_CONFIRM'],
    [{ IPSEC_PSK_APP_REVEAL: 'yes' }, 'IPSEC_PSK_APP_REVEAL'],
  ])('%o → one line naming %s, never a value', (env, name) => {
    let error: unknown;
    try {
      loadServerConfig({ CLOUDFLARE_API_TOKEN: TOKEN, ...env }, { sandbox: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe(name);
    expect((error as ConfigError).message).not.toContain(TOKEN);
  });
});
