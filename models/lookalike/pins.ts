/// <reference types="node" />
/** The measured, generated part of the `lookalikes` set: models/lookalikes.pins.json, written by `models lookalikes --pin`. */
import { readFile } from 'node:fs/promises';
import type { LookalikePin } from '../lookalikes';

export type { LookalikePin };
export const PINS_PATH = 'models/lookalikes.pins.json';

export async function readPins(): Promise<Record<string, LookalikePin>> {
  try {
    return JSON.parse(await readFile(PINS_PATH, 'utf8')) as Record<string, LookalikePin>;
  } catch {
    return {};
  }
}
