/**
 * Invented posts with exactly N named entities, as recordings for the recorded LLM server
 * (test/llm-server): the knowledge text lists the N names in PGIM's format, and RiVEG's expansion
 * question has a recorded answer for each. Names, places and descriptions are made up for the bench;
 * nothing comes from Twitter-GMNER, PGIM or RiVEG.
 */
import type { Recording } from '../../test/llm-server/recordings';

interface Name { name: string; type: 'person' | 'location' | 'organization'; gmner: 'PER' | 'LOC' | 'ORG'; about: string }

const NAMES: Name[] = [
  { name: 'Marisol Vega', type: 'person', gmner: 'PER', about: 'An invented folk singer from the bench posts.' },
  { name: 'Pine Hollow', type: 'location', gmner: 'LOC', about: 'An invented mountain town.' },
  { name: 'Metro7', type: 'organization', gmner: 'ORG', about: 'An invented local news channel.' },
  { name: 'Tessa Morrow', type: 'person', gmner: 'PER', about: 'An invented television reporter.' },
  { name: 'Harbor Heights', type: 'location', gmner: 'LOC', about: 'An invented harbour district.' },
  { name: 'Ridgeback Rovers', type: 'organization', gmner: 'ORG', about: 'An invented amateur football club.' },
  { name: 'Owen Calloway', type: 'person', gmner: 'PER', about: 'An invented club captain.' },
  { name: 'Silverlake Arena', type: 'location', gmner: 'LOC', about: 'An invented indoor stadium.' },
  { name: 'Nadia Okafor', type: 'person', gmner: 'PER', about: 'An invented pastry chef.' },
  { name: 'Brightwater Trust', type: 'organization', gmner: 'ORG', about: 'An invented charity.' },
  { name: 'Elm Crossing', type: 'location', gmner: 'LOC', about: 'An invented railway junction.' },
  { name: 'Jonah Pryce', type: 'person', gmner: 'PER', about: 'An invented photographer.' },
];

export const MAX_BENCH_ENTITIES = NAMES.length;

export interface BenchPost {
  entities: number;
  text: string;
  recording: Recording;
}

/** A post naming the first `n` invented entities, tokenized the Twitter-GMNER way (spaces around punctuation). */
export function benchPost(n: number): BenchPost {
  if (!Number.isInteger(n) || n < 1 || n > NAMES.length) throw new Error(`the bench has posts with 1 to ${NAMES.length} entities, not ${n}`);
  const names = NAMES.slice(0, n);
  const list = names.length === 1 ? names[0].name : `${names.slice(0, -1).map((x) => x.name).join(' , ')} and ${names[names.length - 1].name}`;
  const text = `RT @ benchwire : ${list} at the lakeside weekend , photo by the desk # weekend`;
  return {
    entities: n,
    text,
    recording: {
      id: `bench-${n}`,
      text,
      knowledge: `Named entities:${names.map((x, i) => `${i + 1}. ${x.name} (${x.type})`).join('')}Reasoning: invented for the pipeline bench.`,
      expansions: names.map((x) => ({ entity: `${x.name}(${x.gmner})`, description: x.about })),
    },
  };
}
