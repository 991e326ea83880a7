/**
 * Checks of /openapi.json (run by test/node/bundle.test.ts on the built Worker): every route has a
 * request example (where it takes a body) and an answer example, the callback events are OpenAPI 3.1
 * `webhooks`, the stream's events are described, and every example validates against the JSON Schema it
 * illustrates (Ajv, draft 2020-12, as OpenAPI 3.1 specifies). In Node: Ajv compiles with `new Function`,
 * which workerd forbids.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';

function validator(doc: any) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
  return ajv;
}

/** Component $refs resolve through the ids `validator` registers. */
function check(ajv: Ajv2020, schema: object, example: unknown, where: string) {
  const validate = ajv.compile(schema);
  expect(validate(example), `${where}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

/** Registers the checks; `getDoc` gives the document once the service under test is up. */
export function describeOpenApiExamples(getDoc: () => Promise<any>): void {
describe('the OpenAPI document\'s examples', () => {
  let doc: any;
  let ajv: Ajv2020;
  let operations: { path: string; method: string; op: any }[];
  beforeAll(async () => {
    doc = await getDoc();
    ajv = validator(doc);
    operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops as object).map(([method, op]) => ({ path, method, op: op as any })));
  });

  it('has a request example for every body and an answer example for every success, each valid', () => {
    expect(operations.length).toBeGreaterThanOrEqual(8);
    for (const { path, method, op } of operations) {
      for (const [type, c] of Object.entries<any>(op.requestBody?.content ?? {})) {
        expect(c.example, `${method} ${path} ${type} request`).toBeDefined();
        if (type === 'application/json') check(ajv, c.schema, c.example, `${method} ${path} request`);
      }
      const ok = Object.entries<any>(op.responses).filter(([s]) => s.startsWith('2'));
      expect(ok.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [status, res] of ok) {
        for (const [type, c] of Object.entries<any>(res.content ?? {})) {
          expect(c.example, `${method} ${path} ${status} ${type}`).toBeDefined();
          if (type === 'application/json') check(ajv, c.schema, c.example, `${method} ${path} ${status}`);
        }
      }
      for (const [status, res] of Object.entries<any>(op.responses)) {
        const c = res.content?.['application/problem+json'];
        if (c?.example) check(ajv, c.schema, c.example, `${method} ${path} ${status} problem`);
      }
    }
  });

  it('describes the stream: each event of the example is one the description names, ending with the answer', () => {
    const sse = doc.paths['/v1/recognize'].post.responses['200'].content['text/event-stream'];
    for (const name of ['entities', 'entity', 'answer', 'error', 'StreamEntitiesEvent', 'StreamEntityEvent']) expect(sse.schema.description).toContain(name);
    const frames = (sse.example as string).trim().split('\n\n').map((f) => Object.fromEntries(f.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)])));
    expect(frames.map((f) => f.event)).toEqual(['entities', 'entity', 'entity', 'entity', 'entity', 'answer']);
    check(ajv, { $ref: '#/components/schemas/StreamEntitiesEvent' }, JSON.parse(frames[0].data), 'entities event');
    for (const f of frames.slice(1, -1)) check(ajv, { $ref: '#/components/schemas/StreamEntityEvent' }, JSON.parse(f.data), 'entity event');
    check(ajv, { $ref: '#/components/schemas/RecognizeAnswer' }, JSON.parse(frames.at(-1)!.data), 'answer event');
  });

  it('puts the job callback in OpenAPI 3.1 webhooks, with its signature headers and both events valid', () => {
    const hook = doc.webhooks['job-callback'].post;
    expect(hook.parameters.map((p: any) => p.name).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    const body = hook.requestBody.content['application/json'];
    expect(Object.keys(body.examples)).toEqual(['succeeded', 'failed']);
    for (const [name, e] of Object.entries<any>(body.examples)) check(ajv, body.schema, e.value, `callback ${name}`);
  });
});
}
