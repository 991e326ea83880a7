/**
 * The typed reader of the configuration declared in config-variables.ts, and the request limits read through it.
 * Pure: takes a plain record so it runs anywhere (a Worker's env, process.env, a test's object).
 */
import { variable, type FamilyName, type PatternName, type VariableName, type VariableOf } from './config-variables';

/** An environment as the readers see it: the declared variables and families, each of unknown type until read. */
export type ConfigEnv = { readonly [K in VariableName]?: unknown } & { readonly [K in FamilyName]?: unknown };

/** A variable's raw value (a binding, or a var not read as text). */
export const envValue = (env: ConfigEnv, name: VariableName): unknown => env[name];

/** A text variable, trimmed; unset, blank or not a string reads as null. */
export function envString(env: ConfigEnv, name: VariableName): string | null {
  return text(env[name]);
}

/** A text variable, or its declared default when unset or blank. */
export function envText(env: ConfigEnv, name: VariableName): string {
  return text(env[name]) ?? String(declaredDefault(name));
}

/** A whole number > 0; anything else is the declared default (or `fallback`, where the default depends on others). */
export function envInt(env: ConfigEnv, name: VariableOf<'int'>, fallback = declaredDefault<number>(name)): number {
  return positiveInt(env[name], fallback);
}

/** A switch: 1, true, on, yes (any case) turn it on; unset or blank is the declared default. */
export function envFlag(env: ConfigEnv, name: VariableOf<'flag'>, fallback = declaredDefault<boolean>(name)): boolean {
  return flag(env[name], fallback);
}

/** One member of a family (HOOK_SECRET_<SOURCE>, ...), trimmed like envString: `parts` fill its placeholders in order. */
export function envFamilyString(env: ConfigEnv, family: PatternName, ...parts: string[]): string | null {
  let i = 0;
  const name = family.replace(/<[^>]+>/g, () => parts[i++] ?? '') as FamilyName;
  return text(env[name]);
}

/** The values of `names` as a cache key: the same configuration gives the same key. */
export const configKey = (env: ConfigEnv, names: readonly VariableName[]): unknown[] => names.map((n) => env[n] ?? null);

export function declaredDefault<T extends number | boolean | string>(name: VariableName): T {
  const d = variable(name).default;
  if (d === undefined) throw new Error(`${name} declares no default; pass one`);
  return d as T;
}

/**
 * Request limits and development switches, read from the Worker's environment (vars) with defaults.
 */
export interface ApiLimits {
  /** Largest accepted request body (JSON or multipart), bytes. */
  maxBodyBytes: number;
  /** Largest image, bytes (checked while streaming). */
  maxImageBytes: number;
  /** Hard pixel limit from the header, before any decoding. */
  maxImagePixels: number;
  imageFetchTimeoutMs: number;
  /** Development only: allow http:// and loopback image URLs. */
  allowInsecureImageUrls: boolean;
}

export function limitsFromEnv(env: ConfigEnv): ApiLimits {
  return {
    maxBodyBytes: envInt(env, 'MAX_BODY_BYTES'),
    maxImageBytes: envInt(env, 'MAX_IMAGE_BYTES'),
    maxImagePixels: envInt(env, 'MAX_IMAGE_PIXELS'),
    imageFetchTimeoutMs: envInt(env, 'IMAGE_FETCH_TIMEOUT_MS'),
    allowInsecureImageUrls: envFlag(env, 'ALLOW_INSECURE_IMAGE_URLS'),
  };
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

export function positiveInt(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

export function flag(v: unknown, fallback: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string' || v.trim() === '') return fallback;
  return ['1', 'true', 'on', 'yes'].includes(v.trim().toLowerCase());
}
