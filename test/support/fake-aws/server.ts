import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a fake AWS service sees it, already routed by the SigV4 credential scope. */
export type AwsRequest = {
  /** The signing name from the Authorization header's credential scope: iam, sts, s3, cloudtrail, guardduty, ... */
  service: string;
  region: string;
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  host: string;
  body: Buffer;
};

export type AwsResponse = { status: number; headers?: Record<string, string>; body?: string | Buffer };

/**
 * One fake service: names the operation a request invokes (for the call log, fault injection and
 * least-privilege checks) and answers it in the service's real wire format. `error` renders an
 * error in that format (query/XML, JSON or REST/XML differ).
 */
export type FakeService = {
  operation: (request: AwsRequest) => string;
  handle: (request: AwsRequest, operation: string) => AwsResponse | Promise<AwsResponse>;
  error: (request: AwsRequest, status: number, code: string, message: string) => AwsResponse;
};

export type FaultKind = 'throttle' | 'server-error' | 'access-denied' | 'slow' | 'reset';

/** Injects a fault into matching calls; `times` limits how often (default: always). */
export type Fault = { service?: string; operation?: string; kind: FaultKind; times?: number; delayMs?: number; match?: (request: AwsRequest) => boolean };

export type CallLogEntry = {
  service: string;
  operation: string;
  region: string;
  path: string;
  status: number;
  fault?: FaultKind;
  accessKeyId?: string;
  /** The SDK's amz-sdk-invocation-id: the same on every attempt of one call. */
  invocationId?: string;
  /** The attempt number from the SDK's amz-sdk-request header (`attempt=2; max=5`). */
  attempt?: number;
};

export type FakeAws = {
  url: string;
  calls: CallLogEntry[];
  faults: Fault[];
  close: () => Promise<void>;
};

const THROTTLE_CODE: Record<string, string> = { s3: 'SlowDown' };

const scopeOf = (authorization: string | undefined): { service: string; region: string; accessKeyId: string } | undefined => {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match ? { accessKeyId: match[1] as string, region: match[2] as string, service: match[3] as string } : undefined;
};

/**
 * A local HTTP endpoint that stands in for AWS. Requests are routed to a fake service by the SigV4
 * credential scope, so one URL (`AWS_ENDPOINT_URL`) serves every service as the real SDK signs it.
 */
export const startFakeAws = async (services: Record<string, FakeService>, options: { faults?: Fault[] } = {}): Promise<FakeAws> => {
  const calls: CallLogEntry[] = [];
  const faults: Fault[] = options.faults ?? [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const scope = scopeOf(req.headers.authorization);
        const url = new URL(req.url ?? '/', 'http://fake');
        const service = scope ? services[scope.service] : undefined;
        if (!scope || !service) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(`fake AWS: no service for ${scope?.service ?? 'unsigned request'}`);
          return;
        }
        const request: AwsRequest = {
          service: scope.service,
          region: scope.region,
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          host: req.headers.host ?? '',
          body: Buffer.concat(chunks),
        };
        const operation = service.operation(request);
        const invocationId = typeof req.headers['amz-sdk-invocation-id'] === 'string' ? req.headers['amz-sdk-invocation-id'] : undefined;
        const attemptMatch = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
        const attempts = { ...(invocationId ? { invocationId } : {}), ...(attemptMatch ? { attempt: Number(attemptMatch[1]) } : {}) };
        const fault = faults.find(
          (f) => (f.times === undefined || f.times > 0) && (!f.service || f.service === scope.service) && (!f.operation || f.operation === operation) && (!f.match || f.match(request)),
        );
        if (fault && fault.times !== undefined) fault.times--;
        let response: AwsResponse;
        if (fault?.kind === 'reset') {
          calls.push({ service: scope.service, operation, region: scope.region, path: request.path, status: 0, fault: fault.kind, accessKeyId: scope.accessKeyId, ...attempts });
          req.socket.destroy();
          return;
        }
        if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 5000));
        if (fault?.kind === 'throttle') response = service.error(request, scope.service === 's3' ? 503 : 400, THROTTLE_CODE[scope.service] ?? 'Throttling', 'Rate exceeded');
        else if (fault?.kind === 'server-error') response = service.error(request, 500, 'InternalFailure', 'We encountered an internal error. Please try again.');
        else if (fault?.kind === 'access-denied') {
          response = service.error(request, 403, 'AccessDenied', `User: arn:aws:iam::123456789012:user/posture is not authorized to perform: ${scope.service}:${operation}`);
        } else {
          try {
            response = await service.handle(request, operation);
          } catch (error) {
            response = service.error(request, 500, 'InternalFailure', (error as Error).message);
          }
        }
        calls.push({ service: scope.service, operation, region: scope.region, path: request.path, status: response.status, ...(fault ? { fault: fault.kind } : {}), accessKeyId: scope.accessKeyId, ...attempts });
        if (res.destroyed) return;
        res.writeHead(response.status, { 'x-amzn-requestid': 'fake-request-id', ...response.headers });
        res.end(response.body ?? '');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
