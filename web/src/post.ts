/** The post with each entity highlighted in its type's colour; hover shows its expansion and entailment score. */
import type { AnswerEntity } from '../../shared/client';
import { typeColour } from './colours';

export function entityTitle(e: AnswerEntity): string {
  const fine = e.fine_type ? ` / ${e.fine_type}` : '';
  const score = e.entailment_score === null ? 'not yet checked' : e.entailment_score.toFixed(3);
  const visible = e.groundable === null ? '' : e.groundable ? ' (visible)' : ' (not visible)';
  return `${e.type}${fine}\n${e.expansion}\nentailment: ${score}${visible}`;
}

export function renderPost(el: HTMLElement, text: string, entities: readonly AnswerEntity[], onHover: (index: number | null) => void): void {
  el.replaceChildren();
  // Spans never overlap in an answer, but sort and guard so a bad one cannot garble the text.
  const order = entities.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start);
  let at = 0;
  for (const { e, i } of order) {
    if (e.start < at || e.end > text.length) continue;
    el.append(text.slice(at, e.start));
    const mark = document.createElement('mark');
    const colour = typeColour(e.type);
    mark.textContent = text.slice(e.start, e.end);
    mark.title = entityTitle(e);
    mark.dataset.index = String(i);
    mark.style.background = `${colour}33`;
    mark.style.borderColor = colour;
    mark.addEventListener('mouseenter', () => onHover(i));
    mark.addEventListener('mouseleave', () => onHover(null));
    el.append(mark);
    at = e.end;
  }
  el.append(text.slice(at));
}
