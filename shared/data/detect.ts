/** Which of the supported file formats a text is, from its first non-empty line. */
export type FileFormat = 'riveg' | 'api' | 'conll';

export function detectFormat(text: string): FileFormat | undefined {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
  if (line.startsWith('IMGID:')) return 'conll';
  if (line.startsWith('{')) return 'api';
  if (line.includes('###')) return 'riveg';
  // CoNLL without IMGID lines (AdaSeq dumps): token<TAB>tag
  if (/^\S+\t\S+/.test(line)) return 'conll';
  return undefined;
}
