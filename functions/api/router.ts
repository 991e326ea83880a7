/** One factory for every OpenAPIHono router, so all routes answer validation failures the same way. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env';
import { fieldErrors, validationProblem } from './problem';

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result, c) => {
      if (!result.success) return validationProblem(c, fieldErrors(result.error));
    },
  });
}
