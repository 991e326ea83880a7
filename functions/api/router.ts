/**
 * One factory for every OpenAPIHono router, so all routes answer validation failures the same way, and the one
 * way routes document a problem answer.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { ProblemSchema } from '../../shared/api/schemas';
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

/** An OpenAPI response that is an RFC 9457 problem (problem.ts writes them), for a route's `responses`. */
export const problemDoc = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });
