import net from 'node:net';

// Tests talk to servers they start on loopback; anything else would be an unmocked call to the real world.
const loopbackHosts = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
const originalConnect = net.Socket.prototype.connect;

function targetHost(args: unknown[]): string | undefined {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    const options = first as { host?: string; path?: string };
    if (options.path) return undefined;
    return options.host ?? 'localhost';
  }
  if (typeof first === 'string' && Number.isNaN(Number(first))) return undefined;
  return typeof second === 'string' ? second : 'localhost';
}

net.Socket.prototype.connect = function connectLoopbackOnly(this: net.Socket, ...args: unknown[]) {
  const host = targetHost(args);
  const loopbackV4 = net.isIPv4(host ?? '') && (host ?? '').startsWith('127.');
  if (host !== undefined && !loopbackHosts.has(host) && !loopbackV4) {
    throw new Error(`Network access to ${host} is blocked in tests: start a local server instead.`);
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
