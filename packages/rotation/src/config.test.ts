import { describe, expect, it } from 'vitest';
import { ConfigError, defaultPskDir, loadConfig } from './config.js';

const TOKEN = 'SENTINELconfigToken3k4l5m';
const real = { sandbox: false };

function configError(env: Record<string, string>, options = real): ConfigError {
  try {
    loadConfig(env, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('reads credentials, the default account and the operator settings', () => {
    const config = loadConfig(
      {
        CLOUDFLARE_API_TOKEN: TOKEN,
        CLOUDFLARE_ACCOUNT_ID: '023e105f4ecef8ad9ca31a8372d0c353',
        IPSEC_PSK_DIR: '/var/lib/ipsec-psk',
        IPSEC_PSK_REVEAL: '1',
      },
      real,
    );
    expect(config).toMatchObject({
      defaultAccountId: '023e105f4ecef8ad9ca31a8372d0c353',
      pskDir: '/var/lib/ipsec-psk',
      reveal: true,
      sandbox: false,
    });
    expect(config.clientOptions?.apiToken).toBe(TOKEN);
  });

  it('defaults: no reveal, the per-user data directory', () => {
    const config = loadConfig({ CLOUDFLARE_API_TOKEN: TOKEN }, real);
    expect(config).toMatchObject({ reveal: false, pskDir: defaultPskDir(false) });
    expect(defaultPskDir(false)).toMatch(/ipsec-psk$/);
  });

  it('sandbox needs no credentials and keeps its keys apart', () => {
    const config = loadConfig({}, { sandbox: true });
    expect(config.clientOptions).toBeUndefined();
    expect(config.pskDir).toBe(defaultPskDir(true));
    expect(config.pskDir).not.toBe(defaultPskDir(false));
  });

  it.each([
    [{}, 'CLOUDFLARE_API_TOKEN'],
    [{ CLOUDFLARE_API_TOKEN: `${TOKEN} ` }, 'CLOUDFLARE_API_TOKEN'],
    [{ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_API_KEY: 'SENTINELkey' }, 'CLOUDFLARE_API_TOKEN'],
    [{ CLOUDFLARE_EMAIL: 'ops@example.com' }, 'CLOUDFLARE_API_KEY'],
    [{ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_ACCOUNT_ID: 'a/b' }, 'CLOUDFLARE_ACCOUNT_ID'],
    [{ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: 'http://example.com' }, 'CLOUDFLARE_BASE_URL'],
    [{ CLOUDFLARE_API_TOKEN: TOKEN, IPSEC_PSK_REVEAL: 'true' }, 'IPSEC_PSK_REVEAL'],
    [{ CLOUDFLARE_API_TOKEN: TOKEN, IPSEC_PSK_DIR: 'keys' }, 'IPSEC_PSK_DIR'],
  ])('%o → one line naming %s, never a value', (env, name) => {
    const error = configError(env as Record<string, string>);
    expect(error.setting).toBe(name);
    expect(error.message).toContain(name);
    expect(error.message).not.toContain('\n');
    expect(`${error.message} ${error.stack}`).not.toContain(TOKEN);
  });
});
