/**
 * The answer the recognition prompt asks for, twice: as a zod schema that validates what came back
 * (leniently: models drift, and a bad entity should cost that entity, not the whole answer) and as
 * the JSON Schema sent as `response_format` to providers that can enforce it. Field names are fixed
 * (`text`, `type`, `fine_type`, `expansion`) so answers recorded with earlier prompts stay usable.
 */
import { z } from 'zod';
import type { LabelSet } from '../pipeline/contracts';
import { FMNERG_FINE, coarseTypes } from './labels';

const optionalString = z.union([z.string(), z.number()]).transform(String).nullish().catch(null);

/** One entity as models write it; aliases (`name`, `entity`, `label`) are accepted on the way in. */
export const RawEntitySchema = z
  .object({
    text: z.string().optional(),
    name: z.string().optional(),
    entity: z.string().optional(),
    type: optionalString,
    label: optionalString,
    fine_type: optionalString,
    expansion: optionalString,
    description: optionalString,
  })
  .passthrough()
  .transform((e) => ({
    text: e.text ?? e.name ?? e.entity ?? null,
    type: e.type ?? e.label ?? null,
    fine_type: e.fine_type ?? null,
    expansion: e.expansion ?? e.description ?? null,
  }));

export type RawEntity = z.output<typeof RawEntitySchema>;

/** The envelope: `{"entities": [...]}`; a bare array is read as the list itself. */
export const AnswerEnvelopeSchema = z.union([
  z.object({ entities: z.array(z.unknown()) }).passthrough(),
  z.array(z.unknown()).transform((entities) => ({ entities })),
]);

/** JSON Schema for `response_format` (strict mode: every property required, nothing extra). */
export function answerJsonSchema(labels: LabelSet, withExpansion: boolean): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    text: { type: 'string', description: 'the entity exactly as written in the post' },
    type: { type: 'string', enum: [...coarseTypes(labels)] },
    fine_type: labels === 'fmnerg' ? { type: ['string', 'null'], enum: [...FMNERG_FINE, null] } : { type: 'null' },
  };
  if (withExpansion) properties.expansion = { type: 'string', description: 'a short noun phrase saying what the entity is' };
  return {
    type: 'object',
    additionalProperties: false,
    required: ['entities'],
    properties: {
      entities: {
        type: 'array',
        items: { type: 'object', additionalProperties: false, required: Object.keys(properties), properties },
      },
    },
  };
}
