import type { AwsRequest, AwsResponse } from './server.js';

/** The four settings of a public access block, as S3 and S3 Control spell them. */
export type FakePublicAccessBlock = {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
};

/** The account-level state S3 Control answers from. */
export type FakeS3ControlState = {
  accountId: string;
  /** The account's public access block; absent or null: none configured. */
  accountPublicAccessBlock?: FakePublicAccessBlock | null;
};

const CONTROL_NS = 'http://awss3control.amazonaws.com/doc/2018-08-20/';

export const xmlEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** The operation name S3 Control requests are logged under (its signing name is also `s3`). */
export const S3_CONTROL_OPERATIONS = { '/v20180820/configuration/publicAccessBlock': 'GetAccountPublicAccessBlock' } as const;

/** S3 Control requests share the `s3` signing name; they are told apart by their versioned path. */
export const isS3ControlRequest = (request: AwsRequest): boolean => request.path.startsWith('/v20180820/');

export const s3ControlOperation = (request: AwsRequest): string => {
  const known = S3_CONTROL_OPERATIONS[request.path as keyof typeof S3_CONTROL_OPERATIONS];
  return known && request.method === 'GET' ? known : `Unsupported ${request.method} ${request.path}`;
};

/** S3 Control wraps its errors in ErrorResponse, unlike S3's bare Error element. */
export const s3ControlError = (_request: AwsRequest, status: number, code: string, message: string): AwsResponse => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body:
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ErrorResponse><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error>` +
    '<RequestId>FAKE0REQUEST0ID</RequestId><HostId>ZmFrZS1ob3N0LWlk</HostId></ErrorResponse>',
});

/** Answers S3 Control's GetPublicAccessBlock for the account named in x-amz-account-id. */
export const handleS3Control = (state: FakeS3ControlState, request: AwsRequest, operation: string): AwsResponse => {
  if (operation !== 'GetAccountPublicAccessBlock') return s3ControlError(request, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
  // GetPublicAccessBlock takes no query parameter; one would be a misspelling the fake must not ignore.
  const extra = [...request.query.keys()][0];
  if (extra !== undefined) return s3ControlError(request, 400, 'InvalidArgument', `GetPublicAccessBlock does not take the argument ${extra}.`);
  const accountId = request.headers['x-amz-account-id'];
  if (accountId !== state.accountId) {
    return s3ControlError(request, 403, 'AccessDenied', 'Access Denied');
  }
  const block = state.accountPublicAccessBlock;
  if (!block) return s3ControlError(request, 404, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found');
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<PublicAccessBlockConfiguration xmlns="${CONTROL_NS}">` +
      `<BlockPublicAcls>${block.BlockPublicAcls}</BlockPublicAcls><IgnorePublicAcls>${block.IgnorePublicAcls}</IgnorePublicAcls>` +
      `<BlockPublicPolicy>${block.BlockPublicPolicy}</BlockPublicPolicy><RestrictPublicBuckets>${block.RestrictPublicBuckets}</RestrictPublicBuckets>` +
      '</PublicAccessBlockConfiguration>',
  };
};
