/**
 * Model files for clients that run the vision stages themselves (the demo page's "run vision in this browser"):
 * the manifest of the server's vision stages, and each file from the model store, verified there first, with its
 * SHA-256 as a strong ETag and immutable caching (a file's bytes never change under its hash).
 * Behind the API key like every /v1 route: the files are the operator's bandwidth.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { modelSetFromEnv, modelStoreFromEnv, type ModelEnv } from '../../../models/runtime-from-env';
import { fixtureTokenizerFiles } from '../../../models/fixtures/vision-tokenizer';
import { entriesOfConfig, fileName, findModelFile, modelFileUrl, type VisionManifest } from '../../../shared/api/model-files';
import { envString } from '../../../shared/config';
import type { ModelEntry } from '../../../shared/onnx/manifest-types';
import { ProblemError } from '../../../shared/problems';
import { visionConfigFromEnv } from '../../../shared/stages/config';
import { sha256Hex } from '../../../shared/store/sha256';
import type { AppEnv } from '../env';
import { createRouter, problemDoc } from '../router';
import { localModels } from '../recognize';

/**
 * The store and entries come from the configuration alone, not from the isolate's model runtime, so this route
 * works in the split deployment too, whose api bundle carries no ORT (functions/api/edge.ts).
 */
const entriesOf = async (env: ModelEnv) => modelSetFromEnv(env).entries;
const IMMUTABLE = 'public, max-age=31536000, immutable';

const fileRoute = createRoute({
  method: 'get',
  path: '/v1/models/{id}/files/{name}',
  tags: ['service'],
  summary: "One file of a model of the configured set (graph, external data, or a text model's tokenizer.json / tokenizer_config.json), "
    + 'verified against its SHA-256 in the model store first. ETag is that SHA-256; send it back in If-None-Match for a 304.',
  request: { params: z.object({ id: z.string().min(1).max(200), name: z.string().min(1).max(200) }) },
  responses: {
    200: { description: 'The bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
    304: { description: 'Not modified: the If-None-Match ETag is this file\'s' },
    404: problemDoc('No such model in the configured set, or no such file of it'),
    502: problemDoc('The model store failed, or the file failed verification'),
  },
});

const manifestRoute = createRoute({
  method: 'get',
  path: '/v1/vision/manifest',
  tags: ['service'],
  summary: "What a client needs to run this server's ONNX vision stages itself: the stage configuration, the model entries "
    + 'it uses, and every file with its SHA-256 and its URL under /v1/models/{id}/files/{name}.',
  responses: {
    200: { description: 'The manifest', content: { 'application/json': { schema: z.object({}).passthrough().openapi('VisionManifest') } } },
    502: problemDoc('The model store failed'),
  },
});

async function entryOf(env: ModelEnv, id: string): Promise<ModelEntry> {
  const entry = (await entriesOf(env)).find((e) => e.id === id);
  if (!entry) throw new ProblemError('not-found', `No model "${id}" in the configured model set (MODEL_SET=${envString(env, 'MODEL_SET') ?? 'default'}).`);
  return entry;
}

/** The verified bytes of a file: fixture and look-alike tokenizers are generated, everything else is in the store. */
async function fileBytes(env: ModelEnv, entry: ModelEntry, name: string): Promise<{ bytes: Uint8Array; type: string; pinned: string | null }> {
  const found = findModelFile(entry, name);
  if (!found) throw new ProblemError('not-found', `Model "${entry.id}" has no file "${name}".`);
  const type = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
  // The same generated vocabulary the server's stages use for these sets (models/model-layer.ts).
  if (found.kind === 'tokenizer' && (entry.set === 'fixtures' || entry.set === 'lookalikes')) {
    const { json, config } = fixtureTokenizerFiles();
    return { bytes: new TextEncoder().encode(JSON.stringify(name === 'tokenizer.json' ? json : config)), type, pinned: null };
  }
  // The isolate's runtime's store when it has one (its downloads are shared); else one from the configuration.
  const store = localModels()?.runtime(env).store ?? modelStoreFromEnv(env);
  return { bytes: await store.load(entry, found.file), type, pinned: found.file.sha256 };
}

const matches = (ifNoneMatch: string | undefined, etag: string) =>
  !!ifNoneMatch && ifNoneMatch.split(',').map((t) => t.trim()).some((t) => t === etag || t === '*');

async function serveFile(c: Context<AppEnv>, id: string, name: string): Promise<Response> {
  const env = c.env as ModelEnv;
  const entry = await entryOf(env, id);
  const ifNoneMatch = c.req.header('if-none-match');
  // A pinned hash answers a revalidation without touching the store.
  const pinned = findModelFile(entry, name)?.file.sha256;
  if (pinned && matches(ifNoneMatch, `"${pinned}"`)) return new Response(null, { status: 304, headers: { etag: `"${pinned}"`, 'cache-control': IMMUTABLE } });
  const { bytes, type } = await fileBytes(env, entry, name);
  const etag = `"${await sha256Hex(bytes)}"`;
  const headers = { etag, 'cache-control': IMMUTABLE, 'content-type': type };
  if (matches(ifNoneMatch, etag)) return new Response(null, { status: 304, headers });
  return new Response(bytes, { status: 200, headers: { ...headers, 'content-length': String(bytes.length) } });
}

async function visionManifest(env: ModelEnv): Promise<VisionManifest> {
  const all = await entriesOf(env);
  const { config, problems } = visionConfigFromEnv(env, { entries: all, calibration: modelSetFromEnv(env).calibration });
  const notes = [...problems];
  if (config.ground?.provider === 'vlm') {
    notes.push('ground runs a hosted VLM with the server\'s credentials: not available to clients');
    config.ground = null;
  }
  const entries = entriesOfConfig(config, all);
  const files: VisionManifest['files'] = {};
  await Promise.all(entries.flatMap((entry) => {
    const names = [...entry.files.map((f) => fileName(f.key)), ...(findModelFile(entry, 'tokenizer.json') ? ['tokenizer.json', 'tokenizer_config.json'] : [])];
    return names.map(async (name) => {
      const { file } = findModelFile(entry, name)!;
      // Pinned files are described without loading them; the rest (tokenizers) are hashed as served.
      const known = file.sha256 && file.bytes !== null ? { sha256: file.sha256 as string, bytes: file.bytes as number } : null;
      const got: { sha256: string; bytes: number } = known ?? await fileBytes(env, entry, name).then(async (f) => ({ sha256: await sha256Hex(f.bytes), bytes: f.bytes.length }));
      files[file.key] = { ...got, url: modelFileUrl(entry.id, file.key) };
    });
  }));
  return { set: envString(env, 'MODEL_SET') ?? 'default', config, entries, files, notes };
}

export const modelFiles = createRouter()
  .openapi(fileRoute, (c) => serveFile(c, c.req.valid('param').id, c.req.valid('param').name) as never)
  .openapi(manifestRoute, async (c) => c.json(await visionManifest(c.env as ModelEnv), 200));
