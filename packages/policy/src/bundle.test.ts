import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { readBundle } from './bundle';
import { DEFAULT_BUNDLE_PATH, writeTar } from './testing';

const defaultBundle = readFileSync(DEFAULT_BUNDLE_PATH);

describe('readBundle', () => {
  it('should read the members of the committed bundle', () => {
    const bundle = readBundle(defaultBundle);
    expect(bundle.wasm.subarray(0, 4)).toEqual(Buffer.from('\0asm'));
    expect(JSON.parse(bundle.data.toString('utf8'))).toHaveProperty(
      'purser.config.downgrade_chains',
    );
    expect(bundle.revision).toMatch(/^[0-9a-f]{16}$/);
  });

  it('should read members written without a leading slash', () => {
    const original = readBundle(defaultBundle);
    const tarball = gzipSync(
      writeTar({
        '.manifest': Buffer.from(
          JSON.stringify({
            revision: 'r',
            wasm: [{ entrypoint: 'purser/authz/decision', module: '/policy.wasm' }],
          }),
        ),
        'data.json': original.data,
        'policy.wasm': original.wasm,
      }),
    );
    expect(readBundle(tarball).revision).toBe('r');
  });

  it.each([
    [
      'a bundle without policy.wasm',
      gzipSync(
        writeTar({
          '/.manifest': Buffer.from('{"revision":"r"}'),
          '/data.json': Buffer.from('{}'),
        }),
      ),
      'POLICY_BUNDLE_UNREADABLE',
    ],
    [
      'a truncated archive',
      gzipSync(writeTar({ '/data.json': Buffer.from('{}') }).subarray(0, 600)),
      'POLICY_BUNDLE_UNREADABLE',
    ],
    [
      'a manifest without the decision entrypoint',
      gzipSync(
        writeTar({
          '/.manifest': Buffer.from(
            JSON.stringify({
              revision: 'r',
              wasm: [{ entrypoint: 'other/rule', module: '/policy.wasm' }],
            }),
          ),
          '/data.json': Buffer.from('{}'),
          '/policy.wasm': Buffer.from('\0asm'),
        }),
      ),
      'POLICY_BUNDLE_INVALID',
    ],
  ])('should handle %s', (_case, tarball, code) => {
    expect(() => readBundle(tarball)).toThrow(expect.objectContaining({ code }));
  });
});
