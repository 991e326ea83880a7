/**
 * CoNLL blocks as Twitter-GMNER v2.0 and Twitter-FMNERG ship them: an `IMGID:<id>` line, then one
 * `token<TAB>tag[<TAB>tag…]` line per token, a blank line between tweets. CRLF and a missing final
 * blank line are tolerated; a block without an IMGID line gets its ordinal as id.
 */
export interface ConllBlock {
  id: string;
  tokens: string[];
  /** columns[c][i] = the c-th tag column of token i */
  columns: string[][];
}

export function parseConll(text: string): ConllBlock[] {
  const blocks: ConllBlock[] = [];
  let cur: ConllBlock | null = null;
  const flush = () => {
    if (cur && (cur.tokens.length > 0 || cur.id !== '')) blocks.push(cur);
    cur = null;
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, n) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return flush();
    if (line.startsWith('IMGID:')) {
      flush();
      cur = { id: line.slice('IMGID:'.length).trim(), tokens: [], columns: [] };
      return;
    }
    cur ??= { id: String(blocks.length), tokens: [], columns: [] };
    const cols = line.split('\t');
    if (cols.length < 2) throw new Error(`CoNLL line ${n + 1}: expected token<TAB>tag, got ${JSON.stringify(line)}`);
    const block: ConllBlock = cur;
    if (block.tokens.length === 0) block.columns = cols.slice(1).map(() => []);
    if (cols.length - 1 !== block.columns.length) throw new Error(`CoNLL line ${n + 1}: column count changes inside tweet ${block.id}`);
    block.tokens.push(cols[0]);
    cols.slice(1).forEach((t, c) => block.columns[c].push(t.trim()));
  });
  flush();
  return blocks;
}
