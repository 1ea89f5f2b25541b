import { gunzipSync, gzipSync } from 'node:zlib';

import type { PathTaken } from '@purser/pricing/testing';

import { readBundle } from './bundle';
import type {
  BudgetSnapshot,
  DecisionInput,
  ModelEstimate,
  VelocitySnapshot,
} from './decision-input';

export { DEFAULT_BUNDLE_PATH } from './default-bundle';
// The fast twins' shared differential test kit (docs/0008-fast-twins.md).
export {
  checkTwin,
  expectEquivalent,
  type FastTwin,
  type PathTaken,
  showValue,
} from '@purser/pricing/testing';

/**
 * gpt-4o for 1,000 input tokens at $2.50/1M and up to 4,000 output tokens at $10/1M:
 * 2,500,000 + 4,000 × 10,000 = 42,500,000 nano-USD worst case.
 */
export const GPT_4O_ESTIMATE: ModelEstimate = {
  model: 'gpt-4o',
  cost_nanos: 42_500_000n,
  input_cost_nanos: 2_500_000n,
  cost_per_output_token_nanos: 10_000n,
};

/** gpt-4o-mini for the same request: $0.15/1M input, $0.60/1M output. */
export const GPT_4O_MINI_ESTIMATE: ModelEstimate = {
  model: 'gpt-4o-mini',
  cost_nanos: 2_550_000n,
  input_cost_nanos: 150_000n,
  cost_per_output_token_nanos: 600n,
};

/** Sections of a decision input to replace; `request` is merged field by field. */
export interface DecisionInputOverrides extends Partial<Omit<DecisionInput, 'request'>> {
  request?: Partial<DecisionInput['request']>;
}

/**
 * A valid decision input for a production gpt-4o chat request with no budgets or limits,
 * with `overrides` applied.
 */
export function buildDecisionInput(overrides: DecisionInputOverrides = {}): DecisionInput {
  const { request, ...rest } = overrides;
  return {
    request: {
      provider: 'openai',
      model: 'gpt-4o',
      attribution: {
        team: 'ml-platform',
        feature: 'chat',
        environment: 'production',
        customer: 'acme',
        project: 'assistant',
        user: 'u-42',
        agent: 'support-bot',
        session: 's-1',
        virtual_key: 'vk-ml',
        request_path: '/v1/chat/completions',
      },
      estimated_input_tokens: 1000,
      max_output_tokens: 4000,
      metadata: {},
      ...request,
    },
    principal: { key_id: 'key-gateway', role: 'gateway' },
    estimate: GPT_4O_ESTIMATE,
    candidates: [GPT_4O_MINI_ESTIMATE],
    budgets: [],
    velocity: [],
    now_ns: 1_763_884_800_000_000_000n,
    ...rest,
  };
}

/** A budget snapshot with no spend, no thresholds and the default chain. */
export function buildBudget(
  overrides: Partial<BudgetSnapshot> & Pick<BudgetSnapshot, 'id' | 'mode' | 'limit_nanos'>,
): BudgetSnapshot {
  return {
    name: overrides.id,
    spent_nanos: 0n,
    reserved_nanos: 0n,
    soft_thresholds: [],
    downgrade_chain: [],
    resets_at: '2025-12-01T00:00:00Z',
    ...overrides,
  };
}

/** A velocity snapshot of a 60-second session window. */
export function buildVelocityLimit(
  overrides: Partial<VelocitySnapshot> &
    Pick<VelocitySnapshot, 'id' | 'metric' | 'limit' | 'current'>,
): VelocitySnapshot {
  return { scope: 'session', window_seconds: 60, retry_after_seconds: 30, ...overrides };
}

/** Changes applied by {@link repackBundle}. */
export interface RepackOptions {
  /** New `/data.json` content, from the old one. */
  data?: (data: Record<string, unknown>) => unknown;
  /** New manifest revision. */
  revision?: string;
  /** Replace or add members (name → content), e.g. a broken `/policy.wasm`. */
  members?: Record<string, Buffer>;
}

/**
 * A copy of a bundle tarball with changed data, revision or members, for tests that need a
 * second bundle without the opa CLI.
 */
export function repackBundle(tarball: Buffer, options: RepackOptions): Buffer {
  const original = readBundle(tarball);
  const manifest = JSON.parse(readTarMember(gunzipSync(tarball), '/.manifest') ?? '{}') as Record<
    string,
    unknown
  >;
  const data = options.data
    ? Buffer.from(JSON.stringify(options.data(JSON.parse(original.data.toString('utf8')))))
    : original.data;
  const members: Record<string, Buffer> = {
    '/.manifest': Buffer.from(
      JSON.stringify({ ...manifest, revision: options.revision ?? original.revision }),
    ),
    '/data.json': data,
    '/policy.wasm': original.wasm,
    ...options.members,
  };
  return gzipSync(writeTar(members));
}

function readTarMember(archive: Buffer, name: string): string | undefined {
  for (let offset = 0; offset + 512 <= archive.length;) {
    const header = archive.subarray(offset, offset + 512);
    const end = header.indexOf(0);
    const memberName = header.subarray(0, end === -1 || end > 100 ? 100 : end).toString('utf8');
    if (memberName === '') return undefined;
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/, ''), 8);
    if (`/${memberName.replace(/^\/+/, '')}` === name) {
      return archive.subarray(offset + 512, offset + 512 + size).toString('utf8');
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** A ustar archive of regular files with fixed owners and timestamps. */
export function writeTar(members: Record<string, Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(members)) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, 'utf8');
    header.write('0000644\0', 100, 'latin1');
    header.write('0000000\0', 108, 'latin1');
    header.write('0000000\0', 116, 'latin1');
    header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write('00000000000\0', 136, 'latin1');
    header.write('        ', 148, 'latin1');
    header.write('0', 156, 'latin1');
    header.write('ustar\0', 257, 'latin1');
    header.write('00', 263, 'latin1');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

type Json = Record<string, unknown>;

class NotPlain {
  team = 'x';
}

/**
 * Values on or past the bounds of the decision schemas, and every wrong type, for tests of
 * fast paths against their schemas.
 */
export const NASTY_VALUES: readonly unknown[] = [
  undefined,
  null,
  '',
  'x',
  '007',
  '-1',
  '1.5',
  ' 1',
  -1,
  -0,
  0,
  0.5,
  1,
  2 ** 31 - 1,
  2 ** 31,
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  NaN,
  Infinity,
  -Infinity,
  0n,
  1n,
  -1n,
  10n ** 30n,
  true,
  false,
  {},
  [],
  ['x'],
  [''],
  [0.8],
  [-0.1],
  [0],
  [NaN],
  { id: 'x' },
  Object.create(null) as unknown,
  new NotPlain(),
  new Date(0),
  'block',
  'alert_only',
  'gateway',
  'root',
  'requests',
  'cost_nanos',
  'allow',
  'deny',
  '\ud800',
];

/** Every path to a value inside `value`, objects and arrays alike. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const found: (string | number)[][] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    found.push(path, ...paths(child, path));
  }
  return found;
}

function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, clone(child)]),
    ) as T;
  }
  return value;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function nodeAt(root: unknown, path: (string | number)[]): unknown {
  let node = root;
  for (const key of path) node = (node as Record<string | number, unknown>)[key];
  return node;
}

/**
 * Copies of `base` with each value replaced by each of `nasty`, each key or element removed,
 * and an unknown key and an own `__proto__` key added to each object.
 */
export function* mutations(
  base: unknown,
  nasty: readonly unknown[] = NASTY_VALUES,
): Generator<unknown> {
  for (const path of paths(base)) {
    const last = path[path.length - 1]!;
    for (const value of nasty) {
      const copy = clone(base);
      (nodeAt(copy, path.slice(0, -1)) as Record<string | number, unknown>)[last] = value;
      yield copy;
    }
    const removed = clone(base);
    const parent = nodeAt(removed, path.slice(0, -1)) as Record<string | number, unknown>;
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
    yield removed;
  }
  for (const path of [[], ...paths(base)]) {
    if (!isObject(nodeAt(base, path))) continue;
    const extra = clone(base);
    (nodeAt(extra, path) as Json).unexpected = 'x';
    yield extra;
    const withProto = clone(base);
    Object.defineProperty(nodeAt(withProto, path), '__proto__', { value: {}, enumerable: true });
    yield withProto;
  }
}

/**
 * Runs `check` over every {@link mutations mutation} of every base and counts which path
 * answered, so a test can require that both were exercised.
 */
export function mutationOutcomes(
  bases: Iterable<unknown>,
  check: (value: unknown) => PathTaken,
): Record<PathTaken, number> {
  const counts = { fast: 0, schema: 0 };
  for (const base of bases) {
    for (const mutated of mutations(base)) counts[check(mutated)] += 1;
  }
  return counts;
}
