/**
 * The loopback S3 server the tests share (started by test/setup/s3.ts in Node, reached from workerd and Node).
 * s3rver does not check credentials; any non-empty pair works.
 */
import { TEST_PORTS } from './ports';

export const S3_TEST = {
  endpoint: `http://127.0.0.1:${TEST_PORTS.s3}`,
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  /** the model store bucket (MODEL_STORE=s3 tests) */
  modelsBucket: 'gmner-models-test',
  /** plain-HTTP "origin" for cache-through tests: http://127.0.0.1:<s3 port>/model-origin/<key>, no auth needed */
  originBucket: 'model-origin',
  /** target of `models publish` in the Node tests */
  publishBucket: 'gmner-models-publish',
} as const;
