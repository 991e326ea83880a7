import { describe, expect, it } from 'vitest';
import { parsePgimKnowledge } from '../llm-server/pgim';
import { estimateTokens } from '../llm-server/tokens';
import { readPrompt } from '../llm-server/prompt-reading';
import { recognitionMessages, repairMessages } from '../../shared/recognize/prompt-batched';
import { rivegExpansionMessages } from '../../shared/recognize/prompt-riveg';

describe('PGIM knowledge lists (the recorded server reads ChatGPT answers with this)', () => {
  it('splits numbered items glued to the previous type', () => {
    expect(parsePgimKnowledge('Named entities:1. Ashgrove Botanic Garden (location)2. Glasshouses (General entity)Reasoning:The post ...')).toEqual([
      { name: 'Ashgrove Botanic Garden', type: 'location' },
      { name: 'Glasshouses', type: 'General entity' },
    ]);
  });

  it('keeps numbers inside names and tolerates a skipped number', () => {
    expect(parsePgimKnowledge('Named entities:1. Vortex Cloud Suite 10 (product)2. NHL (sports league)4. Kings (hockey team)')).toEqual([
      { name: 'Vortex Cloud Suite 10', type: 'product' },
      { name: 'NHL', type: 'sports league' },
      { name: 'Kings', type: 'hockey team' },
    ]);
  });

  it('takes the type from the last parentheses and allows a missing one', () => {
    expect(parsePgimKnowledge('Named entities: 1. Sharks (San Jose Sharks, hockey team) 2. Harvest Moon Fair')).toEqual([
      { name: 'Sharks', type: 'San Jose Sharks, hockey team' },
      { name: 'Harvest Moon Fair', type: null },
    ]);
    expect(parsePgimKnowledge('Named Entity: Nadia Okafor (person/celebrity) Reasoning: x')).toEqual([{ name: 'Nadia Okafor', type: 'person/celebrity' }]);
  });

  it('reads "no entities" answers as an empty list', () => {
    expect(parsePgimKnowledge('Named entities may not be present in this post. It mentions Zeke and a buzzer beater.')).toEqual([]);
    expect(parsePgimKnowledge('Named entities: None. Reasoning: nothing here')).toEqual([]);
    expect(parsePgimKnowledge('There are no named entities in this post.')).toEqual([]);
  });
});

describe('the recorded server reads prompts with the recognizer’s own markers', () => {
  it('finds the post of a recognition prompt, after the demonstrations and through a repair turn', () => {
    const post = 'He said "hi"\nthen left';
    const m = recognitionMessages({ text: post, labels: 'gmner', caption: 'c' }, true);
    expect(readPrompt(m)).toEqual({ kind: 'recognize', post, wantsExpansion: true });
    expect(readPrompt(repairMessages(m, 'x', 'y', 'gmner', false))).toMatchObject({ kind: 'recognize', post });
    expect(readPrompt(recognitionMessages({ text: post, labels: 'gmner' }, false))).toMatchObject({ wantsExpansion: false });
  });

  it("finds the post and Name(TYPE) of RiVEG's question", () => {
    const m = rivegExpansionMessages({ text: "Harold Brandt ' s plan", name: 'Harold Brandt', type: 'PER' });
    expect(readPrompt(m)).toEqual({ kind: 'expand', post: "Harold Brandt ' s plan", entity: 'Harold Brandt(PER)' });
  });

  it('estimates tokens near four characters each for English', () => {
    const s = 'The post mentions Ashgrove Botanic Garden, probably a public garden with tall glasshouses for tropical plants.';
    expect(estimateTokens(s)).toBeGreaterThan(s.length / 6);
    expect(estimateTokens(s)).toBeLessThan(s.length / 3);
  });
});
