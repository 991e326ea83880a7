/**
 * Any S3-compatible store (R2's S3 API, MinIO, s3rver...) as an ObjectStore, through @aws-sdk/client-s3.
 * Path-style addressing so loopback endpoints work; checksums only when required, because R2 rejects the SDK's
 * default CRC32 headers (`501 NotImplemented: Header 'x-amz-checksum-crc32'`; cloudflare/cloudflare-docs#19236,
 * aws/aws-sdk-js-v3#6810).
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { urlForDisplay } from '../net-failure';
import { ensureDomParser } from './dom-parser';
import type { ObjectStore } from './object-store';

export interface S3Config {
  endpoint: string;
  bucket: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function s3ObjectStore(cfg: S3Config): ObjectStore {
  const client = new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region || 'auto',
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    kind: 's3',
    // shown in problems and /v1/models: an endpoint may carry credentials in its userinfo or query
    location: `s3://${cfg.bucket} at ${urlForDisplay(cfg.endpoint)}`,
    async get(key) {
      await ensureDomParser();
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: cfg.bucket, Key: key }));
        return { bytes: await res.Body!.transformToByteArray(), sha256: res.Metadata?.sha256 };
      } catch (e) {
        const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
        // a missing bucket is a configuration error, not a cache miss to fill from the origin
        if (err.name === 'NoSuchKey' || (err.$metadata?.httpStatusCode === 404 && err.name !== 'NoSuchBucket')) return null;
        throw e;
      }
    },
    async put(key, bytes, sha256) {
      await ensureDomParser();
      await client.send(new PutObjectCommand({ Bucket: cfg.bucket, Key: key, Body: bytes, Metadata: { sha256 }, ContentType: 'application/octet-stream' }));
    },
  };
}
