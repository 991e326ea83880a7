/**
 * A byte stream passed through unchanged while a copy of it is kept, for work that must wait for the
 * whole of a streamed answer (billing it, keeping it for replays) without holding it back from the reader.
 */

/**
 * Returns a stream that yields `source`'s chunks as they come and calls `onEnd` exactly once: with the
 * copied bytes and `complete: true` when `source` ends; with null when it errors, is cancelled by the
 * reader, or grew past `maxCopy` bytes (then `complete` still says whether it ended normally).
 */
export function observeStream(
  source: ReadableStream<Uint8Array>,
  maxCopy: number,
  onEnd: (body: ArrayBuffer | null, complete: boolean) => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let finished = false;
  const finish = (complete: boolean) => {
    if (finished) return;
    finished = true;
    if (!complete || size > maxCopy) return onEnd(null, complete);
    const all = new Uint8Array(size);
    let at = 0;
    for (const ch of chunks) {
      all.set(ch, at);
      at += ch.byteLength;
    }
    onEnd(all.buffer, true);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          finish(true);
          return;
        }
        if (size <= maxCopy) chunks.push(value);
        size += value.byteLength;
        controller.enqueue(value);
      } catch (e) {
        controller.error(e);
        finish(false);
      }
    },
    cancel(reason) {
      finish(false);
      return reader.cancel(reason);
    },
  });
}
