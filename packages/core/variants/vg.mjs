const { createPskClient } = await import(process.env.CORE_ENTRY);
const [which, warm, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const base = 'http://127.0.0.1:18787/client/v4';
const A = '023e105f4ecef8ad9ca31a8372d0c353', T = 'c4a7362d577a6c3019a474fd6f485821';
const url = `${base}/accounts/${A}/magic/ipsec_tunnels/${T}/psk_generate`;
const client = createPskClient({ apiToken: 'bench-token', baseUrl: base, accountId: A });
const headers = { Authorization: 'Bearer bench-token', 'Content-Type': 'application/json', 'User-Agent': 'bench' };
const calls = {
  fetch: async () => { const r = await fetch(url, { method: 'POST', headers, body: '{}' }); return r.json(); },
  core: () => client.generateIpsecPsk({ ipsecTunnelId: T }),
  signal: async () => { const c = new AbortController(); const t = setTimeout(() => c.abort(), 30000); try { const r = await fetch(url, { method: 'POST', headers, body: '{}', signal: c.signal }); return await r.json(); } finally { clearTimeout(t); } },
};
const fn = calls[which];
for (let i = 0; i < warm + n; i++) await fn();
process.stderr.write('done\n');
