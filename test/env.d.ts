// Types for `import { env, exports } from 'cloudflare:workers'` inside the workerd tests.
declare namespace Cloudflare {
  interface Env {
    MODELS: R2Bucket;
    IMAGES: ImagesBinding;
    [name: string]: unknown;
  }
  interface Exports {
    default: Fetcher;
  }
}
