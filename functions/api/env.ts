import type { RequestIdVariables } from 'hono/request-id';

/** Bindings and vars of the api Worker (wrangler.toml). Every var is optional: defaults live in code. */
export interface ApiBindings {
  IMAGES?: ImagesBinding;
  MODELS?: R2Bucket;
  AI?: Ai;
  [name: string]: unknown;
}

export type AppEnv = {
  Bindings: ApiBindings;
  Variables: RequestIdVariables & {
    /** Stage timings the request log line reports. */
    timings?: Record<string, number>;
  };
};
