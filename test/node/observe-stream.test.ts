/** observeStream (shared/observe-stream.ts): the stream copy that settles a streamed answer when it ends. */
import { describe, expect, it } from 'vitest';
import { observeStream } from '../../shared/observe-stream';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: ArrayBuffer | null) => (b === null ? null : new TextDecoder().decode(b));

/** A source that yields `parts`, then ends (or fails with `error`). */
function source(parts: string[], error?: Error): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(bytes(parts[i++]));
      else if (error) controller.error(error);
      else controller.close();
    },
  });
}

function observed(src: ReadableStream<Uint8Array>, maxCopy = 1 << 20) {
  const ends: { body: string | null; complete: boolean }[] = [];
  const stream = observeStream(src, maxCopy, (body, complete) => ends.push({ body: text(body), complete }));
  return { stream, ends };
}

describe('observeStream', () => {
  it('passes every chunk through unchanged and hands over the whole copy once, when the source ends', async () => {
    const { stream, ends } = observed(source(['event: a\n', 'data: 1\n\n', 'event: answer\n']));
    expect(await new Response(stream).text()).toBe('event: a\ndata: 1\n\nevent: answer\n');
    expect(ends).toEqual([{ body: 'event: a\ndata: 1\n\nevent: answer\n', complete: true }]);
  });

  it('keeps no copy of a stream longer than maxCopy, and still says that it ended normally', async () => {
    const { stream, ends } = observed(source(['12345', '67890']), 8);
    expect(await new Response(stream).text()).toBe('1234567890');
    expect(ends).toEqual([{ body: null, complete: true }]);
  });

  it('a reader that goes away ends it once, incomplete, and cancels the source', async () => {
    let cancelled: unknown;
    const src = new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(bytes('x')), cancel: (r) => void (cancelled = r) });
    const { stream, ends } = observed(src);
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel('client gone');
    await reader.cancel('again').catch(() => {});
    expect(ends).toEqual([{ body: null, complete: false }]);
    expect(cancelled).toBe('client gone');
  });

  it('a failing source fails the reader and ends it incomplete', async () => {
    const { stream, ends } = observed(source(['a'], new Error('upstream broke')));
    await expect(new Response(stream).text()).rejects.toThrow('upstream broke');
    expect(ends).toEqual([{ body: null, complete: false }]);
  });
});
