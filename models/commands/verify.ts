/** `models verify [ids] [--dir D]`: every file (and every shard file) present and matching its pinned hash; exit status 1 otherwise. */
import { type Common, checkLocalFile, type FileCheck, selectEntries } from './common';

export async function verify(c: Common, log: (line: string) => void): Promise<FileCheck[]> {
  const results: FileCheck[] = [];
  for (const entry of await selectEntries(c)) {
    // a sharded entry is served as its shards: each is a pinned file of its own
    for (const file of [...entry.files, ...(entry.shards?.shards.map((s) => s.file) ?? [])]) {
      const { data: _data, ...r } = await checkLocalFile(c.dir, file);
      results.push(r);
      const detail = r.status === 'mismatch' ? ` expected ${r.expected}, got ${r.actual}` : r.status === 'unpinned' ? ` sha256 ${r.actual} is not pinned` : '';
      log(`${r.status.toUpperCase().padEnd(8)} ${entry.id}: ${file.key}${detail}`);
    }
  }
  return results;
}
