import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readBundle } from './bundle';
import { createPolicyEngine } from './policy-engine';
import { DEFAULT_BUNDLE_PATH, repackBundle } from './testing';
import { watchBundle, type BundleWatchEvent } from './watch-bundle';

const defaultBundle = readFileSync(DEFAULT_BUNDLE_PATH);
const defaultRevision = readBundle(defaultBundle).revision;

describe('watchBundle', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'purser-policy-watch-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  function nextEvent(events: BundleWatchEvent[]): Promise<BundleWatchEvent> {
    const seen = events.length;
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        if (events.length > seen) resolve(events[seen] as BundleWatchEvent);
        else if (Date.now() - started > 5000) reject(new Error('no watch event within 5s'));
        else setTimeout(poll, 20);
      };
      poll();
    });
  }

  it('should swap on an atomic replace and report a bad bundle without swapping', async () => {
    const path = join(directory, 'bundle.tar.gz');
    writeFileSync(path, defaultBundle);
    const engine = await createPolicyEngine({ bundle: path });
    const events: BundleWatchEvent[] = [];
    const watcher = watchBundle(path, engine, (event) => events.push(event), { debounceMs: 50 });
    try {
      const swapped = nextEvent(events);
      writeFileSync(`${path}.tmp`, repackBundle(defaultBundle, { revision: 'watched-2' }));
      renameSync(`${path}.tmp`, path);
      expect(await swapped).toEqual({
        type: 'swapped',
        revision: 'watched-2',
        previousRevision: defaultRevision,
      });
      expect(engine.revision).toBe('watched-2');

      const rejected = nextEvent(events);
      writeFileSync(path, Buffer.from('truncated'));
      expect(await rejected).toMatchObject({
        type: 'rejected',
        revision: 'watched-2',
        error: { code: 'POLICY_BUNDLE_UNREADABLE' },
      });
      expect(engine.revision).toBe('watched-2');
    } finally {
      watcher.close();
    }
  });
});
