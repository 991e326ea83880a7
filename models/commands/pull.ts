/**
 * `models pull [ids] [--dir D] [--trust-on-first-use] [--origin-base URL]`: origin -> verify -> local folder,
 * through the same ModelStore the Worker uses (the folder plays the bucket).
 */
import { ModelStore } from '../../shared/store/model-store';
import { httpOrigin } from '../../shared/store/origin';
import { fixtureOrigin } from '../fixtures/index';
import { folderObjectStore } from '../fs-store';
import { type Common, selectEntries } from './common';

export async function pull(c: Common, opts: { trustOnFirstUse: boolean; originBase?: string }, log: (line: string) => void): Promise<void> {
  const origin = c.set === 'fixtures' && !opts.originBase ? fixtureOrigin : httpOrigin({ base: opts.originBase });
  const store = new ModelStore({ bucket: folderObjectStore(c.dir), origin, trustOnFirstUse: opts.trustOnFirstUse });
  for (const entry of await selectEntries(c)) {
    // a sharded entry is served as its shards, each a pinned file of its own (as `verify` checks them)
    for (const file of [...entry.files, ...(entry.shards?.shards.map((s) => s.file) ?? [])]) {
      const before = store.originFetches;
      const bytes = await store.load(entry, file);
      const how = store.originFetches > before ? `downloaded from ${origin.locate(file)}` : 'already present, verified';
      log(`${entry.id}: ${file.key} ${bytes.length} bytes, ${how}`);
      if (!file.sha256) log(`  pinned by trust-on-first-use in ${c.dir}/manifest.json; copy its sha256 and bytes into models/manifest.ts`);
    }
  }
}
