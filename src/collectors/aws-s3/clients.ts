import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import type { CommonClientConfig } from '../../aws/session.js';

const isUrl = (value: string): boolean => /^https?:\/\//i.test(value);

/**
 * The S3 client class for a scan. Behind an endpoint override (an emulator, a proxy, the tests'
 * fake) bucket names cannot become host names, so requests are path-style.
 */
export const s3ClientClass = (endpoint: string): new (config: CommonClientConfig) => S3Client => {
  if (!isUrl(endpoint)) return S3Client;
  return class PathStyleS3Client extends S3Client {
    constructor(config: CommonClientConfig) {
      super({ ...config, forcePathStyle: true });
    }
  };
};

/**
 * The S3 Control client class for a scan. Its endpoint rules put the account id in front of the
 * host (`123456789012.s3-control...`), which turns an override such as http://127.0.0.1:4566 into
 * an invalid URL; behind an override the endpoint is used as it is.
 */
export const s3ControlClientClass = (endpoint: string): new (config: CommonClientConfig) => S3ControlClient => {
  if (!isUrl(endpoint)) return S3ControlClient;
  const url = new URL(endpoint);
  return class OverriddenS3ControlClient extends S3ControlClient {
    constructor(config: CommonClientConfig) {
      super({ ...config, endpointProvider: () => ({ url }) });
    }
  };
};
