// A loopback proxy that adds the bearer token the suite cannot send.
import http from 'node:http';

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

function withoutHopByHop(headers) {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

/**
 * A loopback reverse proxy to `upstreamUrl` that sets `Authorization: Bearer <token>`. Bodies stream both ways (SSE
 * included); a client that goes away takes its upstream request with it. Host and Origin naming the proxy itself are
 * rewritten to the server's, any other value passes unchanged, so the server's own DNS rebinding checks are tested.
 */
export async function startProxy(upstreamUrl, token) {
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true });
  let self = '';
  const server = http.createServer((req, res) => {
    const headers = withoutHopByHop(req.headers);
    if (headers.host === self) headers.host = upstream.host;
    if (headers.origin === `http://${self}`) headers.origin = upstream.origin;
    headers.authorization = `Bearer ${token}`;
    const upstreamReq = http.request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    upstreamReq.on('response', (upstreamRes) => {
      res.writeHead(
        upstreamRes.statusCode ?? 502,
        upstreamRes.statusMessage,
        withoutHopByHop(upstreamRes.headers),
      );
      res.flushHeaders();
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', (error) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          error: { code: -32603, message: `proxy: ${error.message}` },
          id: null,
        }),
      );
    });
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  self = `127.0.0.1:${server.address().port}`;
  return {
    url: new URL(upstream.pathname + upstream.search, `http://${self}`).href,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
