import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** A request the proxy handled: a CONNECT tunnel (`host:port`) or a forwarded absolute-form URL. */
export type ProxiedRequest = { method: string; target: string; proxyAuthorization?: string };

export type TestProxy = { url: string; requests: ProxiedRequest[]; close: () => Promise<void> };

/**
 * A forward proxy on 127.0.0.1, as enterprise networks run them: CONNECT opens a tunnel (https
 * targets), and an absolute-form request (`GET http://host:port/path`) is forwarded (plain http
 * targets). It only reaches 127.0.0.1, and records every request for assertions.
 */
export const startTestProxy = async (): Promise<TestProxy> => {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const record = (req: IncomingMessage, target: string): void => {
    const auth = req.headers['proxy-authorization'];
    requests.push({ method: req.method ?? '', target, ...(typeof auth === 'string' ? { proxyAuthorization: auth } : {}) });
  };
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (!/^http:\/\//.test(url)) {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    record(req, url);
    const target = new URL(url);
    if (target.hostname !== '127.0.0.1') {
      res.writeHead(403).end('the test proxy only reaches 127.0.0.1');
      return;
    }
    const { 'proxy-authorization': _auth, 'proxy-connection': _pc, ...headers } = req.headers;
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    record(req, target);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    if (host !== '127.0.0.1' && host !== 'localhost') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
