/**
 * RiVEG's entity expansion prompt (`per_entity` mode), reproduced from RiVEG's
 * `data_processing/MNER_processing/GPT request.py` (https://github.com/JinYuanLi0012/RiVEG): one user message with a "SYSTEM" line, three
 * fixed demonstrations (image description, tweet, question, answer) and the question about one
 * `Name(TYPE)`. Wording, quotes, the full-width "：" and "？" are kept; the long runs of spaces that
 * the original's backslash line continuations put between lines are not, since they carry nothing.
 */
import type { ChatMessage, ContentPart } from '../llm/types';
import { entityKey } from '../pipeline/expression';

interface RivegDemo {
  background: string;
  text: string;
  entity: string;
  answer: string;
}

const RIVEG_DEMOS: readonly RivegDemo[] = [
  {
    background:
      'The image features a large stadium with a crowd of people gathered inside the arena. The stadium is filled with people of different ages who are all engaged in watching a soccer (or football) match. The atmosphere of the event is lively and exciting, capturing the spirit of a live sporting event.',
    text: 'Premier League stadiums : Every top flight ground ranked by age ',
    entity: 'Premier League',
    answer: 'A football (soccer) league in England.',
  },
  {
    background:
      'This picture features the same woman wearing a blue sweater, with the difference being that in the first picture, she has a blond hairstyle, whereas in the second picture, her hair is red. The image showcases a comparison of her appearance over time, emphasizing the changing nature of physical features, hairstyle, and fashion trends. The message is a reminder that people are constantly evolving and changing, and it is important to embrace these changes and adapt as they come.',
    text: '19 things Taylor Swift does that no one else could ever get away with',
    entity: 'Taylor Swift',
    answer: 'A women singer-songwriter.',
  },
  {
    background:
      "The image features a majestic view of the Golden Gate Bridge in San Francisco, California at sunset. The iconic red structure is prominently featured in the scene, stretching out across the water and reaching towards the sky. The bridge is surrounded by the city's beautiful skyline, adding to the breathtaking scenery. The sunset casts a warm glow across the landscape, enhancing the overall beauty of the scene. This image captures a moment when the bridge and the city come alive at dusk, creating a captivating and awe-inspiring sight.",
    text: 'RT @ henryklee : Golden Gate Bridge back open as of 930p , 8 . 5 hrs early , after median installation',
    entity: 'Golden Gate Bridge',
    answer: 'A iconic red suspension bridge in San Francisco, California.',
  },
];

/** The question's fixed wording; the recorded test server finds the queried entity by it. */
export const RIVEG_QUESTION = 'Q:In the context of the provided information, Tell me briefly what is the  ';

/** What RiVEG sends when no caption exists: it always had one, so the gap is said plainly. */
const NO_BACKGROUND = 'No description of the image is available.';

/** RiVEG's tweets are one line; a newline inside the post must not start a new "Q:" or "A:" line. */
const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ');

export function rivegExpansionMessages(opts: { text: string; name: string; type: string; caption?: string; imageUrl?: string }): ChatMessage[] {
  const lines = ['SYSTEM：You are a concise language assistant, please imitate my example and answer'];
  for (const d of RIVEG_DEMOS) {
    lines.push(
      `Background: '${d.background}'`,
      `Text: '${d.text}'`,
      `Q: In the context of the provided information, Please tell me simply, without any modification, what is the '${d.entity}' in the Text?`,
      `A: ${d.answer}`,
    );
  }
  lines.push(
    `Background: '${oneLine(opts.caption ?? NO_BACKGROUND)}'`,
    `Text: '${oneLine(opts.text)}'`,
    `${RIVEG_QUESTION}'${entityKey(opts.name, opts.type)}' in the text？`,
    'A:',
  );
  const text = lines.join('\n');
  const content: string | ContentPart[] = opts.imageUrl ? [{ type: 'text', text }, { type: 'image_url', image_url: { url: opts.imageUrl } }] : text;
  return [{ role: 'user', content }];
}
