/**
 * Starts s3rver (npm, in-process) on loopback for the model-store tests, with empty buckets in a fresh folder.
 * The folder is private to this run, so a second run on the same machine fails on the port instead of wiping
 * the first run's data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { S3_TEST } from './s3-config';

export default async function startS3(): Promise<() => Promise<void>> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const { port, hostname } = new URL(S3_TEST.endpoint);
  const server = new S3rver({
    address: hostname,
    port: Number(port),
    silent: true,
    directory,
    configureBuckets: [S3_TEST.modelsBucket, S3_TEST.originBucket, S3_TEST.publishBucket].map((name) => ({ name })),
  });
  try {
    await server.run();
  } catch (e) {
    rmSync(directory, { recursive: true, force: true });
    throw new Error(`test/setup/s3.ts: cannot start s3rver on ${S3_TEST.endpoint} (${(e as Error).message}); is the port taken?`);
  }
  return async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
