import { isThrottlingError } from '@smithy/core/retry';
import { unknown, type CoverageGap, type Unknown } from '../facts/types.js';
import { iamAction } from './iam-actions.js';

/** Why an AWS call gave no answer, in the terms a coverage gap and an unknown marker use. */
export type AwsFailure = {
  /** AccessDenied, Throttling, Timeout, ServiceError, NetworkError, InvalidCredentials, NoCredentials, Aborted, or the service's error code. */
  reason: string;
  /** The service's error code or the SDK error's name, for callers that treat a code as a real value (NoSuchEntity). */
  code: string;
  /** The IAM action the call needs; set for denials, where granting it is the fix. */
  permission?: string;
  message: string;
  status?: number;
};

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnauthorizedAccess', 'Forbidden']);
const BAD_CREDENTIALS = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException', 'InvalidAccessKeyId', 'InvalidSignatureException']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

type SdkError = Error & { Code?: string; code?: string; $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };

const firstLine = (text: string): string => (text.split('\n')[0] ?? '').slice(0, 300);

/** Maps an SDK error to a failure; the IAM action is attached for denials only. */
export const classifyAwsError = (error: unknown, service: string, operation: string): AwsFailure => {
  const e = (error instanceof Error ? error : new Error(String(error))) as SdkError;
  const code = e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? 'Error';
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const message = firstLine(e.message || code);
  const base = { code, message, ...(status ? { status } : {}) };
  if (DENIED.has(code) || (status === 403 && !BAD_CREDENTIALS.has(code))) {
    const permission = iamAction(service, operation);
    return { ...base, reason: 'AccessDenied', ...(permission ? { permission } : {}) };
  }
  if (BAD_CREDENTIALS.has(code)) return { ...base, reason: 'InvalidCredentials' };
  if (code === 'CredentialsProviderError') return { ...base, reason: 'NoCredentials' };
  if (code === 'AbortError') return { ...base, reason: 'Aborted' };
  if (code === 'TimeoutError' || e.code === 'ETIMEDOUT' || e.code === 'TimeoutError') return { ...base, reason: 'Timeout' };
  if (isThrottlingError(e as Parameters<typeof isThrottlingError>[0])) return { ...base, reason: 'Throttling' };
  if (e.code && NETWORK.has(e.code)) return { ...base, reason: 'NetworkError' };
  if (status !== undefined && status >= 500) return { ...base, reason: 'ServiceError' };
  return { ...base, reason: code };
};

/** The unknown marker for attributes a failed call would have fed. */
export const unknownFrom = (failure: AwsFailure): Unknown => unknown(failure.reason, failure.permission, failure.message);

/** The coverage gap for attributes a failed call would have fed. */
export const gapFrom = (resource: string, attributes: string[], failure: AwsFailure): CoverageGap => ({
  resource,
  attributes,
  reason: failure.reason === 'AccessDenied' || failure.reason === failure.code ? failure.reason : `${failure.reason}: ${failure.message}`,
  ...(failure.permission ? { permission: failure.permission } : {}),
});
