/** `models fixtures [DIR]`: writes the generated fixture files and their manifest.json (hashes) to a folder. */
import { sha256Hex } from '../../shared/store/sha256';
import { buildFixture, fixtureEntries } from '../fixtures/index';
import { folderObjectStore } from '../fs-store';

export async function writeFixtures(dir: string, log: (line: string) => void): Promise<void> {
  const folder = folderObjectStore(dir);
  for (const entry of await fixtureEntries()) {
    const bytes = buildFixture(entry.id);
    await folder.put(entry.files[0].key, bytes, await sha256Hex(bytes));
    log(`${dir}/${entry.files[0].key} ${bytes.length} bytes`);
  }
}
