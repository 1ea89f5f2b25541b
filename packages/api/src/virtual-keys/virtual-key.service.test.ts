import type { DataSource } from 'typeorm';
import { hashSecret } from '../auth/api-key.service';
import { VirtualKeyService } from './virtual-key.service';

/** A virtual_keys table of one key that counts the reads. */
function table() {
  const state = { reads: 0 };
  const row = {
    id: 'vk-1',
    name: 'app',
    attribution: { team: 'search' },
    allowed_models: [],
    secret_prefix: 'pvk_good',
    created_at: '2026-12-01T00:00:00Z',
    revoked_at: null,
  };
  const dataSource = {
    query: async (_sql: string, params: unknown[]) => {
      state.reads += 1;
      return params[0] === hashSecret('pvk_good') ? [row] : [];
    },
  } as unknown as DataSource;
  return { state, dataSource };
}

describe('VirtualKeyService.resolve', () => {
  it('should keep a working key through more unknown secrets than the cache holds, and read a repeated unknown one once', async () => {
    const { state, dataSource } = table();
    const keys = new VirtualKeyService(dataSource, () => 0);
    expect(await keys.resolve('pvk_good')).toMatchObject({ id: 'vk-1' });
    for (let index = 0; index < 12_000; index += 1) await keys.resolve(`pvk_random_${index}`);
    const reads = state.reads;
    expect(await keys.resolve('pvk_good')).toMatchObject({ id: 'vk-1' });
    expect(await keys.resolve('pvk_random_11999')).toBeNull();
    expect(state.reads).toBe(reads);
  });
});
