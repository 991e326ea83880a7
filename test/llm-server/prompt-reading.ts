/**
 * What the recorded server needs to know from a chat request: which post it is about and, for
 * RiVEG's expansion question, which `Name(TYPE)`. It reads the prompt the way a model would see it,
 * using the recognizer's own markers so the two cannot drift apart silently.
 */
import { POST_MARKER } from '../../shared/recognize/prompt-batched';
import { RIVEG_QUESTION } from '../../shared/recognize/prompt-riveg';
import { messageText } from './tokens';

export type PromptKind =
  | { kind: 'recognize'; post: string; wantsExpansion: boolean }
  | { kind: 'expand'; post: string; entity: string }
  | { kind: 'unknown' };

type Msg = { role?: unknown; content?: unknown };

export function readPrompt(messages: Msg[]): PromptKind {
  const users = messages.filter((m) => m.role === 'user');
  const system = messages.find((m) => m.role === 'system');
  // The last user turn holding a post (a repair turn comes after it and holds none).
  for (let i = users.length - 1; i >= 0; i--) {
    const text = messageText(users[i]);
    const q = text.lastIndexOf(RIVEG_QUESTION);
    if (q !== -1) {
      const entity = /^'(.*)' in the text？/.exec(text.slice(q + RIVEG_QUESTION.length))?.[1];
      const post = [...text.slice(0, q).matchAll(/^Text: '(.*)'$/gm)].pop()?.[1];
      if (entity !== undefined && post !== undefined) return { kind: 'expand', post, entity };
    }
    const lines = text.split('\n');
    const at = lines.lastIndexOf(POST_MARKER);
    if (at !== -1 && lines[at + 1] !== undefined) {
      try {
        const post = JSON.parse(lines[at + 1]);
        if (typeof post === 'string') {
          return { kind: 'recognize', post, wantsExpansion: messageText(system ?? {}).includes('"expansion"') };
        }
      } catch {
        // not this turn
      }
    }
  }
  return { kind: 'unknown' };
}

/** "Ashgrove Botanic(LOC)" -> name and type. */
export function splitEntityKey(key: string): { name: string; type: string } {
  const m = /^(.*)\(([^()]*)\)$/.exec(key);
  return m ? { name: m[1], type: m[2] } : { name: key, type: '' };
}
