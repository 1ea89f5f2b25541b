import { Writable } from 'node:stream';
import { pipeChunks } from './focus.routes';

/** A sink that takes `capacity` bytes before it asks the writer to wait. */
function slowSink(capacity: number) {
  const received: string[] = [];
  const sink = new Writable({
    highWaterMark: capacity,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      setImmediate(done);
    },
  });
  return { sink, received };
}

describe('pipeChunks', () => {
  it('should ask for the next chunk only once the sink has drained', async () => {
    const { sink, received } = slowSink(4);
    let pulled = 0;
    let aheadOfSink = 0;
    async function* chunks() {
      for (let index = 0; index < 50; index += 1) {
        pulled += 1;
        aheadOfSink = Math.max(aheadOfSink, pulled - received.length);
        yield `chunk-${index};`;
      }
    }
    expect(await pipeChunks(chunks(), sink)).toBe(true);
    sink.end();
    expect(received.join('')).toBe(Array.from({ length: 50 }, (_, i) => `chunk-${i};`).join(''));
    // Never more than the chunk in the sink's buffer and the one being written.
    expect(aheadOfSink).toBeLessThanOrEqual(2);
  });

  it('should stop and release the source when the sink closes', async () => {
    const { sink } = slowSink(4);
    let released = false;
    let pulled = 0;
    async function* chunks() {
      try {
        for (;;) {
          pulled += 1;
          if (pulled === 3) setImmediate(() => sink.destroy());
          yield 'x'.repeat(100);
        }
      } finally {
        released = true;
      }
    }
    expect(await pipeChunks(chunks(), sink)).toBe(false);
    expect(released).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});
