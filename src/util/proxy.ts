import { Agent as HttpAgent, request as httpRequest, type AgentOptions, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ProxyAgent, fetch as undiciFetch } from 'undici';

/**
 * The proxy settings of the environment, as curl and most tools read them: HTTPS_PROXY for https
 * URLs, HTTP_PROXY for http URLs (lower-case names first), NO_PROXY for hosts to reach directly.
 */
export type ProxySettings = { httpProxy?: string; httpsProxy?: string; noProxy?: string };

const pick = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const value = env[name.toLowerCase()] ?? env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

export const proxySettings = (env: NodeJS.ProcessEnv): ProxySettings => {
  const httpProxy = pick(env, 'HTTP_PROXY');
  const httpsProxy = pick(env, 'HTTPS_PROXY');
  const noProxy = pick(env, 'NO_PROXY');
  return { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}), ...(noProxy ? { noProxy } : {}) };
};

const defaultPort = (protocol: string): number => (protocol === 'https:' ? 443 : 80);

/**
 * Whether NO_PROXY exempts a host: `*`, a host name (which also covers its subdomains), a
 * `.domain` suffix, an IP address, each optionally with `:port`.
 */
export const bypassesProxy = (noProxy: string | undefined, hostname: string, port: number): boolean => {
  if (!noProxy) return false;
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const match = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[(.*)\](?=:|$)/, '$1'));
    const name = (match?.[1] ?? entry).replace(/^\*/, '');
    const entryPort = match?.[2] ? Number(match[2]) : undefined;
    if (entryPort !== undefined && entryPort !== port) continue;
    const suffix = name.startsWith('.') ? name : `.${name}`;
    if (host === name.replace(/^\./, '') || host.endsWith(suffix)) return true;
  }
  return false;
};

/** The proxy to use for a URL, or undefined to connect directly. */
export const proxyFor = (settings: ProxySettings, target: URL): URL | undefined => {
  const proxy = target.protocol === 'https:' ? settings.httpsProxy : target.protocol === 'http:' ? settings.httpProxy : undefined;
  if (!proxy) return undefined;
  const port = Number(target.port) || defaultPort(target.protocol);
  if (bypassesProxy(settings.noProxy, target.hostname, port)) return undefined;
  return new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
};

const authorization = (proxy: URL): Record<string, string> =>
  proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};

type ConnectOptions = ConnectionOptions & { host?: string; port?: number | string; servername?: string };

/**
 * An https agent that reaches each host through an HTTP proxy's CONNECT tunnel, unless NO_PROXY
 * exempts it. TLS runs end to end inside the tunnel and checks the host's certificate against
 * Node's CA store, which NODE_EXTRA_CA_CERTS extends.
 */
class TunnellingAgent extends HttpsAgent {
  constructor(
    private readonly settings: ProxySettings,
    options: AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: ConnectOptions, callback: (error: Error | null, socket?: Duplex) => void): Duplex | undefined {
    const host = String(options.host ?? 'localhost');
    const port = Number(options.port ?? 443);
    const proxy = proxyFor(this.settings, new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`));
    if (!proxy) return super.createConnection(options, callback) as Duplex | undefined;
    const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const connect = httpRequest({
      host: proxy.hostname,
      port: Number(proxy.port) || 80,
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...authorization(proxy) },
      ...(options.timeout ? { timeout: options.timeout } : {}),
    });
    connect.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        callback(new Error(`proxy ${proxy.host} refused CONNECT ${target}: ${response.statusCode ?? 0} ${response.statusMessage ?? ''}`.trim()));
        return;
      }
      // `host` checks the certificate's names; SNI only for names, never for IP addresses.
      const { port: _port, path: _path, ...tlsOptions } = options as ConnectOptions & { path?: string };
      const sni = options.servername ?? (isIP(host) ? undefined : host);
      callback(null, tlsConnect({ ...tlsOptions, host, socket, ...(sni ? { servername: sni } : {}) }));
    });
    connect.once('timeout', () => connect.destroy(new Error(`proxy ${proxy.host}: CONNECT ${target} timed out`)));
    connect.once('error', (error) => callback(error));
    connect.end();
    return undefined;
  }
}

/**
 * An http agent that sends each request to the HTTP proxy in absolute form
 * (`GET http://host:port/path`), unless NO_PROXY exempts the host.
 */
class ForwardingAgent extends HttpAgent {
  constructor(
    private readonly settings: ProxySettings,
    options: AgentOptions,
  ) {
    super(options);
  }

  addRequest(request: ClientRequest, options: AgentOptions & { host?: string; port?: number | string }): void {
    const host = String(options.host ?? 'localhost');
    const port = Number(options.port ?? 80);
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const proxy = proxyFor(this.settings, new URL(`http://${authority}`));
    if (proxy) {
      request.path = `http://${authority}${request.path}`;
      for (const [name, value] of Object.entries(authorization(proxy))) request.setHeader(name, value);
    }
    // The agent's own signature takes connection options; its typings omit the method.
    const add = (HttpAgent.prototype as unknown as { addRequest: (r: ClientRequest, o: object) => void }).addRequest;
    add.call(this, request, proxy ? { ...options, host: proxy.hostname, port: Number(proxy.port) || 80 } : options);
  }
}

/** Node agents for the AWS SDK's NodeHttpHandler; undefined when no proxy is configured. */
export const proxyAgents = (env: NodeJS.ProcessEnv, options: AgentOptions = {}): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } | undefined => {
  const settings = proxySettings(env);
  if (!settings.httpProxy && !settings.httpsProxy) return undefined;
  const agentOptions = { keepAlive: true, ...options };
  return { httpAgent: new ForwardingAgent(settings, agentOptions), httpsAgent: new TunnellingAgent(settings, agentOptions) };
};

/**
 * A fetch that honours the proxy variables (Node 20's own fetch ignores them): each request whose
 * URL needs a proxy goes through undici's fetch with a ProxyAgent (CONNECT for https, absolute
 * form for plain http); the others through Node's fetch. Undefined when no proxy is set.
 */
export const proxyFetch = (env: NodeJS.ProcessEnv): typeof fetch | undefined => {
  const settings = proxySettings(env);
  if (!settings.httpProxy && !settings.httpsProxy) return undefined;
  const agents = new Map<string, ProxyAgent>();
  const agentFor = (proxy: URL): ProxyAgent => {
    let agent = agents.get(proxy.href);
    if (!agent) {
      agent = new ProxyAgent({ uri: proxy.href, proxyTunnel: false });
      agents.set(proxy.href, agent);
    }
    return agent;
  };
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const proxy = proxyFor(settings, url);
    if (!proxy) return fetch(input, init);
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agentFor(proxy) });
  }) as typeof fetch;
};
