/// <reference types="node" />
/** What the `models` subcommands share: the selected set, the local folder, and expected hashes. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelEntry, ModelFile } from '../../shared/onnx/manifest-types';
import { sha256Hex } from '../../shared/store/sha256';
import { readFolderManifest } from '../fs-store';
import { modelSetFromEnv, type ModelSetName } from '../runtime-from-env';

export const DEFAULT_DIR = 'models/.generated/store';

export interface Common {
  set: ModelSetName;
  dir: string;
  ids: string[];
}

export async function selectEntries({ set, ids }: Common): Promise<ModelEntry[]> {
  const all = await modelSetFromEnv({ MODEL_SET: set }).entries;
  if (!ids.length) return all;
  return ids.map((id) => {
    const e = all.find((x) => x.id === id);
    if (!e) throw new Error(`no model "${id}" in the ${set} set; known: ${all.map((x) => x.id).join(', ')}`);
    return e;
  });
}

/** The pinned hash: the manifest's, else the one `pull --trust-on-first-use` recorded in the folder. */
export async function expectedHash(dir: string, file: ModelFile): Promise<string | null> {
  return file.sha256 ?? (await readFolderManifest(dir)).files[file.key]?.sha256 ?? null;
}

export type FileCheck = { key: string; status: 'ok' | 'missing' | 'unpinned' | 'mismatch'; expected: string | null; actual: string | null; bytes: number | null };

export async function checkLocalFile(dir: string, file: ModelFile): Promise<FileCheck & { data?: Uint8Array }> {
  const expected = await expectedHash(dir, file);
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(join(dir, file.key)));
  } catch {
    return { key: file.key, status: 'missing', expected, actual: null, bytes: null };
  }
  const actual = await sha256Hex(data);
  const status = !expected ? 'unpinned' : expected === actual ? 'ok' : 'mismatch';
  return { key: file.key, status, expected, actual, bytes: data.length, data };
}

export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
