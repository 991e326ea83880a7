/**
 * Every configuration variable any Worker, stage host or `npm start` reads, declared once. Pure data (no imports,
 * so `scripts/start.mjs` loads it as it is). Made from it: the typed reader (shared/config.ts), the README's
 * configuration table (`npm run config-table`), the variables `npm start` forwards, the variables each generated
 * stage or model Worker config carries (infra/workers.ts) and the cache keys of the model store, model runtime and
 * stage host.
 *
 *  type     how the value is read; `binding` is a service binding, not a var
 *  default  the value the code falls back to (numbers and flags are read through it); `shown` words it for the README
 *  readers  the Workers that read it: api (functions/api), stage (functions/entail|ground|segment, Node stage hosts),
 *           model (functions/shard), start (`npm start` itself)
 *  scope    the cached object it configures: store (model store) ⊂ runtime (model runtime) ⊂ stage (a vision stage).
 *           A stage or model Worker's generated config carries every scoped variable; a cache key holds its scope's
 *           variables and those of the scopes inside it
 */
export type VariableType = 'text' | 'url' | 'int' | 'number' | 'flag' | 'choice' | 'list' | 'binding';
export type Reader = 'api' | 'stage' | 'model' | 'start';
export type Scope = 'store' | 'runtime' | 'stage';

export interface VariableDecl {
  readonly name: string;
  readonly type: VariableType;
  readonly default?: number | boolean | string;
  readonly shown?: string;
  readonly secret?: boolean;
  readonly readers: readonly Reader[];
  readonly scope?: Scope;
  readonly meaning: string;
}

const API = ['api'] as const;
const ALL = ['api', 'stage', 'model'] as const;
const STAGES = ['api', 'stage'] as const;
const VLM = { readers: STAGES, scope: 'stage', shown: 'as the `LLM_*` ones', meaning: 'the hosted VLM grounder' } as const;

export const VARIABLES = [
  // hosted LLM
  { name: 'LLM_PROVIDER', type: 'choice', default: 'openai', readers: API, meaning: '`openai`: any OpenAI-compatible Chat Completions endpoint; `workers-ai`: the `AI` binding' },
  { name: 'LLM_BASE_URL', type: 'url', readers: API, meaning: 'endpoint ending in `/v1` (openai provider)' },
  { name: 'LLM_API_KEY', type: 'text', secret: true, readers: API, meaning: 'any non-empty value for local servers without auth' },
  { name: 'LLM_MODEL', type: 'text', readers: API, meaning: 'model id (a `@cf/...` id for Workers AI)' },
  { name: 'LLM_TIMEOUT_MS', type: 'int', default: 20_000, readers: API, meaning: 'per attempt; then 504 `llm-timeout` (timeouts are not retried)' },
  { name: 'LLM_MAX_TOKENS', type: 'int', shown: '256 + 48 × `MAX_ENTITIES_PER_POST` (1,792)', readers: API, meaning: 'upper bound on every LLM answer, sent as `max_tokens` (`max_completion_tokens` to models that refuse it); an unreadable answer cut at this limit says so in `llm-unusable-answer`' },
  { name: 'LLM_MAX_RETRIES', type: 'int', default: 2, readers: API, meaning: "retries of 429, 5xx and connection failures, exponential backoff with jitter or exactly the provider's `Retry-After` (waits over 30 s are not sat out: 503 with that `Retry-After`)" },
  { name: 'LLM_MODE', type: 'choice', default: 'batched', readers: API, meaning: "`batched`: one call per post returns entities, types and expansions; `per_entity`: RiVEG's order, recognition then RiVEG's expansion question per distinct `Name(TYPE)` (4 at a time)" },
  { name: 'LLM_JSON_SCHEMA', type: 'flag', default: true, readers: API, meaning: 'send `response_format: json_schema` (strict); a provider that rejects it is asked again without, once, and remembered' },
  { name: 'LLM_SEND_IMAGE', type: 'flag', default: false, readers: API, meaning: '`on`: send the image to multimodal models (the URL as given, or a data: URL)' },
  { name: 'AI_GATEWAY_CACHE_TTL', type: 'int', readers: API, meaning: 'seconds, sent as `cf-aig-cache-ttl`' },
  { name: 'AI_GATEWAY_METADATA', type: 'flag', shown: 'on for AI Gateway URLs', readers: API, meaning: '`cf-aig-metadata: {"request_id": ...}`' },
  { name: 'AI_GATEWAY_ID', type: 'text', readers: API, meaning: 'Workers AI only: route `env.AI.run` through this gateway' },
  // models and model store
  { name: 'MODEL_SET', type: 'choice', shown: 'unset', readers: ALL, scope: 'store', meaning: 'unset: no vision stages; `fixtures`: generated test models (offline); `default`: the published models of `models/manifest.ts`; `lookalikes`: real-size random-weight graphs (offline, built by `npm run models -- lookalikes --publish-local`)' },
  { name: 'MODEL_STORE', type: 'choice', shown: '`r2` if `MODELS` is bound, else `origin`', readers: ALL, scope: 'store', meaning: '`r2` (the `MODELS` binding), `s3` (any S3-compatible store), `origin` (download and verify on each cold load)' },
  { name: 'MODEL_ORIGIN_BASE', type: 'url', readers: ALL, scope: 'store', meaning: 'a mirror: model files come from `MODEL_ORIGIN_BASE + key` instead of their origin URLs' },
  { name: 'MODEL_TRUST_ON_FIRST_USE', type: 'flag', default: false, shown: '`false`', readers: ALL, scope: 'store', meaning: 'accept a model file with no pinned hash and record the hash it arrived with' },
  { name: 'MEMORY_BUDGET_MB', type: 'number', default: 128, readers: ALL, scope: 'runtime', meaning: "the isolate's memory budget; a model whose measured peak does not fit is refused (503 `model-over-budget`) before download" },
  { name: 'PART_WARMUP', type: 'choice', shown: '`on` (a generated split config sets `off` on a stage whose warm-ups would pass the invocation limit)', readers: ALL, scope: 'runtime', meaning: "`off`: a stage's prepare() does not warm its model and shard Workers (no Worker invocation for it; the first call loads them instead)" },
  { name: 'STAGE_LOCAL_MODELS_MB', type: 'number', default: 80, readers: ['start'], meaning: 'split placement: what a stage Worker may spend (peak heap + file) on unsharded models it runs itself instead of calling a part Worker; 0 puts every model in a Worker of its own' },
  { name: 'PART_TIMEOUT_MS', type: 'int', default: 60_000, readers: ALL, scope: 'runtime', meaning: 'deadline of each call to a model or shard Worker; then 504 `stage-timeout`' },
  { name: 'S3_ENDPOINT', type: 'url', readers: ALL, scope: 'store', meaning: "the S3-compatible store (R2's S3 API: `https://<account>.r2.cloudflarestorage.com`, region `auto`)" },
  { name: 'S3_BUCKET', type: 'text', readers: ALL, scope: 'store', meaning: "the S3-compatible store (R2's S3 API: `https://<account>.r2.cloudflarestorage.com`, region `auto`)" },
  { name: 'S3_REGION', type: 'text', readers: ALL, scope: 'store', meaning: "the S3-compatible store (R2's S3 API: `https://<account>.r2.cloudflarestorage.com`, region `auto`)" },
  { name: 'S3_ACCESS_KEY_ID', type: 'text', secret: true, readers: ALL, scope: 'store', meaning: 'credentials of the S3 store' },
  { name: 'S3_SECRET_ACCESS_KEY', type: 'text', secret: true, readers: ALL, scope: 'store', meaning: 'credentials of the S3 store' },
  { name: 'VISION_CACHE_IMAGES', type: 'int', default: 4, readers: STAGES, scope: 'stage', meaning: 'image-level results (encoder outputs) kept per isolate and stage' },
  // vision stages: models and the hosted VLM grounder
  { name: 'ENTAIL_VISION_MODEL', type: 'text', shown: 'the set\'s first model of that role', readers: STAGES, scope: 'stage', meaning: 'manifest ids per stage' },
  { name: 'ENTAIL_TEXT_MODEL', type: 'text', shown: 'the set\'s first model of that role', readers: STAGES, scope: 'stage', meaning: 'manifest ids per stage' },
  { name: 'GROUND_IMAGE_MODEL', type: 'text', shown: 'the set\'s first model of that role', readers: STAGES, scope: 'stage', meaning: 'manifest ids per stage' },
  { name: 'GROUND_QUERY_MODEL', type: 'text', shown: 'the set\'s first model of that role', readers: STAGES, scope: 'stage', meaning: 'manifest ids per stage' },
  { name: 'SEGMENT_ENCODER_MODEL', type: 'text', shown: 'the set\'s first model of that role', readers: STAGES, scope: 'stage', meaning: 'manifest ids per stage' },
  { name: 'SEGMENT_DECODER_MODEL', type: 'text', shown: 'the set\'s first model of that role', readers: STAGES, scope: 'stage', meaning: 'manifest ids per stage' },
  { name: 'GROUND_PROVIDER', type: 'choice', default: 'onnx', readers: STAGES, scope: 'stage', meaning: '`onnx` (OWL-ViT) or `vlm` (a hosted multimodal LLM asked for the box)' },
  { name: 'GROUND_MIN_SCORE', type: 'number', default: 0, readers: STAGES, scope: 'stage', meaning: 'OWL-ViT probability below which an entity gets no box' },
  { name: 'VLM_PROVIDER', type: 'choice', default: 'openai', ...VLM },
  { name: 'VLM_BASE_URL', type: 'url', ...VLM },
  { name: 'VLM_API_KEY', type: 'text', secret: true, ...VLM },
  { name: 'VLM_MODEL', type: 'text', ...VLM },
  { name: 'VLM_TIMEOUT_MS', type: 'int', default: 20_000, ...VLM },
  { name: 'VLM_MAX_RETRIES', type: 'int', default: 2, ...VLM },
  { name: 'VLM_JSON_SCHEMA', type: 'flag', default: true, ...VLM },
  { name: 'VLM_BOX_FORMAT', type: 'choice', default: 'gemini', readers: STAGES, scope: 'stage', meaning: '`gemini` (`box_2d`, [ymin, xmin, ymax, xmax] on 0–1000), `qwen3` or `qwen2.5` (`bbox_2d`)' },
  { name: 'VLM_MAX_SIDE', type: 'int', default: 1024, readers: STAGES, scope: 'stage', meaning: 'long side of the image sent to the VLM' },
  // placement of the stages and models
  { name: 'PLACEMENT', type: 'choice', shown: '`split` for `MODEL_SET=default\\|lookalikes`, else `single`', readers: ['start'], meaning: '`npm start` only: `single` runs one Worker (wrangler.toml), `split` every Worker of `infra/workers.ts` in one `wrangler dev`' },
  { name: 'ENTAIL_SERVICE', type: 'binding', readers: API, meaning: 'service bindings to the stage Workers (`functions/<stage>`); the stage then runs there (RPC). Stage ids and `models` name the binding (`entail:rpc:ENTAIL_SERVICE`)' },
  { name: 'GROUND_SERVICE', type: 'binding', readers: API, meaning: 'service bindings to the stage Workers (`functions/<stage>`); the stage then runs there (RPC). Stage ids and `models` name the binding (`entail:rpc:ENTAIL_SERVICE`)' },
  { name: 'SEGMENT_SERVICE', type: 'binding', readers: API, meaning: 'service bindings to the stage Workers (`functions/<stage>`); the stage then runs there (RPC). Stage ids and `models` name the binding (`entail:rpc:ENTAIL_SERVICE`)' },
  { name: 'ENTAIL_URL', type: 'url', readers: API, meaning: "base URL of a stage's HTTP face on a Node host (`functions/<stage>/node.ts`); ids name the variable (`entail:http:ENTAIL_URL`), never the URL" },
  { name: 'GROUND_URL', type: 'url', readers: API, meaning: "base URL of a stage's HTTP face on a Node host (`functions/<stage>/node.ts`); ids name the variable (`entail:http:ENTAIL_URL`), never the URL" },
  { name: 'SEGMENT_URL', type: 'url', readers: API, meaning: "base URL of a stage's HTTP face on a Node host (`functions/<stage>/node.ts`); ids name the variable (`entail:http:ENTAIL_URL`), never the URL" },
  { name: 'STAGE_TIMEOUT_MS', type: 'int', default: 60_000, readers: API, meaning: "deadline of each call to a remote stage (the per-stage one wins); then 504 `stage-timeout` (an HTTP call is aborted; an RPC call's late answer is dropped)" },
  { name: 'ENTAIL_TIMEOUT_MS', type: 'int', default: 60_000, readers: API, meaning: "deadline of each call to a remote stage (the per-stage one wins); then 504 `stage-timeout` (an HTTP call is aborted; an RPC call's late answer is dropped)" },
  { name: 'GROUND_TIMEOUT_MS', type: 'int', default: 60_000, readers: API, meaning: "deadline of each call to a remote stage (the per-stage one wins); then 504 `stage-timeout` (an HTTP call is aborted; an RPC call's late answer is dropped)" },
  { name: 'SEGMENT_TIMEOUT_MS', type: 'int', default: 60_000, readers: API, meaning: "deadline of each call to a remote stage (the per-stage one wins); then 504 `stage-timeout` (an HTTP call is aborted; an RPC call's late answer is dropped)" },
  { name: 'MODEL_<ID>', type: 'binding', readers: ['stage'], meaning: 'in a stage Worker: service bindings to the Worker hosting model `<ID>` (upper-cased, `_` for other characters) or shard `i` of it (`functions/shard`); the model then runs there, never in this isolate. `infra/workers.ts` declares them' },
  { name: 'SHARD_<ID>_<i>', type: 'binding', readers: ['stage'], meaning: 'in a stage Worker: service bindings to the Worker hosting model `<ID>` (upper-cased, `_` for other characters) or shard `i` of it (`functions/shard`); the model then runs there, never in this isolate. `infra/workers.ts` declares them' },
  { name: 'PART_MODEL', type: 'text', readers: ['model'], meaning: 'in a model Worker (`functions/shard`): the manifest id it hosts, and the shard index when it hosts one shard' },
  { name: 'PART_SHARD', type: 'int', readers: ['model'], meaning: 'in a model Worker (`functions/shard`): the manifest id it hosts, and the shard index when it hosts one shard' },
  // limits and development switches
  { name: 'MAX_BODY_BYTES', type: 'int', default: 16 * 1024 * 1024, shown: '16 MiB', readers: API, meaning: 'largest request body' },
  { name: 'MAX_IMAGE_BYTES', type: 'int', default: 10 * 1024 * 1024, shown: '10 MiB', readers: API, meaning: 'largest image, enforced while streaming' },
  { name: 'MAX_IMAGE_PIXELS', type: 'int', default: 40_000_000, shown: '40 000 000', readers: API, meaning: 'hard pixel limit, from the frame header the decoder will decode (JPEG markers walked as libjpeg does, a second SOF or IHDR or a VP8X canvas that disagrees with its bitstream refused), before decoding' },
  { name: 'IMAGE_FETCH_TIMEOUT_MS', type: 'int', default: 10_000, readers: API, meaning: 'image URL fetch time limit (at most 3 redirects, each re-checked)' },
  { name: 'ALLOW_INSECURE_IMAGE_URLS', type: 'flag', default: false, readers: API, meaning: 'development only: allow loopback image URLs (`localhost`, `127.0.0.0/8`, `[::1]`), over `http:` too; `http:` to any other host stays refused' },
  { name: 'MAX_ENTITIES_PER_POST', type: 'int', default: 32, readers: API, shown: '32 (split placement: derived, see meaning)', meaning: 'entities examined per post, in text order; the rest are listed in `dropped` (one entry per name with its count) and named in `warnings`. In the split placement, unset, it is the largest whose worst request stays 2 under the 32 Worker invocations per request (`npm run workers -- list` shows it: 16 for lookalikes and default); set above what the plan can serve, `npm start` and `npm run workers -- configs` refuse it' },
  { name: 'STAGE_BATCH_SIZE', type: 'int', default: 16, readers: API, meaning: 'most expressions or boxes in one vision stage call; more run as consecutive calls' },
  // accounts
  { name: 'RATE_LIMIT_REQUESTS', type: 'int', default: 60, readers: API, meaning: "requests per window per key (a key's own `--rate` wins)" },
  { name: 'RATE_LIMIT_WINDOW_S', type: 'int', default: 60, readers: API, meaning: 'rate-limit window, seconds' },
  { name: 'IDEMPOTENCY_TTL_S', type: 'int', default: 86_400, readers: API, meaning: 'how long a completed answer is replayed for an Idempotency-Key' },
  // jobs, callbacks and inbound webhooks
  { name: 'JOB_RETRY_DELAYS', type: 'list', default: '5,30,120,600,1800,3600,10800,21600', readers: API, meaning: 'seconds before the next callback attempt after failed attempt n' },
  { name: 'CALLBACK_TIMEOUT_MS', type: 'int', default: 15_000, readers: API, meaning: 'per callback attempt' },
  { name: 'CALLBACK_MAX_BYTES', type: 'int', default: 65_536, readers: API, meaning: 'larger events omit `result`' },
  { name: 'JOB_MAX_INPUT_BYTES', type: 'int', default: 1024 * 1024, shown: '1 MiB', readers: API, meaning: 'largest stored job request (an inline image counts in base64); send `image.url` for larger images' },
  { name: 'ALLOW_INSECURE_CALLBACK_URLS', type: 'flag', default: false, readers: API, meaning: 'development only: admit `http://` callbacks to loopback hosts' },
  { name: 'JOBS_DLQ_NAME', type: 'text', default: 'gmner-jobs-dlq', readers: API, meaning: 'name of the dead-letter queue, if renamed' },
  { name: 'JOB_LEASE_S', type: 'int', default: 900, readers: API, meaning: 'how long a run holds its claim on a job; a crashed run is taken over after it' },
  { name: 'JOB_RESULT_INLINE_MAX_BYTES', type: 'int', default: 524_288, readers: API, meaning: 'larger job results go to the `RESULTS` R2 bucket instead of the D1 row' },
  { name: 'JOB_RETENTION_DAYS', type: 'int', default: 30, readers: API, meaning: 'finished jobs and their R2 results are deleted this many days after they finished (Cron Trigger)' },
  { name: 'JOB_STUCK_AFTER_S', type: 'int', default: 900, readers: API, meaning: 'the Cron Trigger re-enqueues a `queued` job this long past due' },
  { name: 'HOOK_MAX_BODY_BYTES', type: 'int', default: 2 * 1024 * 1024, shown: '2 MiB', readers: API, meaning: 'largest inbound webhook body (413 before the signature is computed)' },
  { name: 'HOOK_SECRET_<SOURCE>', type: 'text', secret: true, readers: API, meaning: 'inbound webhook sources (above)' },
  { name: 'HOOK_KEY_<SOURCE>', type: 'text', readers: API, meaning: 'inbound webhook sources (above)' },
  { name: 'HOOK_CALLBACK_URL_<SOURCE>', type: 'url', readers: API, meaning: 'inbound webhook sources (above)' },
] as const satisfies readonly VariableDecl[];

type Decl = (typeof VARIABLES)[number];
/** A name with a `<placeholder>` stands for a family of variables (one per model, shard or webhook source). */
export type PatternName = Extract<Decl['name'], `${string}<${string}`>;
export type VariableName = Exclude<Decl['name'], PatternName>;
/** The names a family stands for: `HOOK_SECRET_<SOURCE>` is `HOOK_SECRET_${string}`. */
export type FamilyName<P extends string = PatternName> = P extends `${infer A}<${string}>${infer B}` ? `${A}${string}${FamilyName<B>}` : P;
export type VariableOf<T extends VariableType> = Exclude<Extract<Decl, { type: T }>['name'], PatternName>;

const isPattern = (d: VariableDecl) => d.name.includes('<');
const SCOPES: Record<Scope, readonly Scope[]> = { store: ['store'], runtime: ['store', 'runtime'], stage: ['store', 'runtime', 'stage'] };

// read on every env lookup (through declared defaults), so by name, not by scanning the list
const BY_NAME = new Map((VARIABLES as readonly VariableDecl[]).map((d) => [d.name, d]));
export const variable = (name: VariableName | PatternName): VariableDecl => BY_NAME.get(name)!;

/** The variables a scope's cache key holds: its own and those of the scopes inside it. */
export const scopeVariables = (scope: Scope): VariableName[] =>
  (VARIABLES as readonly VariableDecl[]).filter((d) => d.scope && SCOPES[scope].includes(d.scope)).map((d) => d.name as VariableName);

/**
 * The vars `npm start` forwards from its environment to `wrangler dev`: those the api or a stage reads. Bindings and
 * families are not vars, and a model Worker's own (PART_MODEL, PART_SHARD) are set per Worker by infra/workers.ts.
 */
export const CONFIG_VARIABLES: VariableName[] = (VARIABLES as readonly VariableDecl[])
  .filter((d) => d.type !== 'binding' && !isPattern(d) && d.readers.some((r) => r === 'api' || r === 'stage')).map((d) => d.name as VariableName);

/** Set with `wrangler secret put` on each Worker that reads them; never written into a deploy config. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set((VARIABLES as readonly VariableDecl[]).filter((d) => d.secret).map((d) => d.name));
