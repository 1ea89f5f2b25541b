import { parseJson } from '../parse-json';
import { budgetThresholdCrossedSchema } from './budget-threshold-crossed';
import { createDeadLetter, deadLetterSchema, MAX_DEAD_LETTER_PAYLOAD_CHARS } from './dead-letter';
import { decisionLoggedSchema } from './decision-logged';

const now = new Date('2026-11-23T10:00:00.000Z');

describe('createDeadLetter', () => {
  it('should keep a UTF-8 payload verbatim with its reason and position in the stream', () => {
    const letter = createDeadLetter({
      reason: 'usage.input_tokens: must be a non-negative integer (got -5)',
      kind: 'invalid_event',
      payload: Buffer.from('{"id":"é","usage":{"input_tokens":-5}}'),
      subject: 'purser.usage.v1.openai',
      streamSequence: 42,
      deliveryCount: 1,
      eventId: 'é',
      error: { code: 'INVALID_USAGE_EVENT', issues: ['usage.input_tokens: …'] },
      now,
    });
    expect(letter).toEqual({
      reason: 'usage.input_tokens: must be a non-negative integer (got -5)',
      kind: 'invalid_event',
      payload: '{"id":"é","usage":{"input_tokens":-5}}',
      payload_encoding: 'utf8',
      payload_truncated: false,
      subject: 'purser.usage.v1.openai',
      stream_sequence: 42,
      delivery_count: 1,
      event_id: 'é',
      error: {
        code: 'INVALID_USAGE_EVENT',
        message: 'usage.input_tokens: must be a non-negative integer (got -5)',
        issues: ['usage.input_tokens: …'],
      },
      dead_lettered_at: '2026-11-23T10:00:00.000Z',
    });
    // What a consumer publishes, the DLQ reader parses back with the same schema.
    expect(parseJson(JSON.stringify(letter), deadLetterSchema)).toEqual({
      ok: true,
      value: letter,
    });
  });

  it('should base64 bytes that are not UTF-8 so nothing is lost', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x7b]);
    const letter = createDeadLetter({
      reason: 'invalid JSON',
      kind: 'invalid_event',
      payload: bytes,
      subject: 'purser.usage.v1.openai',
      error: { code: 'INVALID_JSON' },
      now,
    });
    expect(letter.payload_encoding).toBe('base64');
    expect(Buffer.from(letter.payload, 'base64')).toEqual(Buffer.from(bytes));
  });

  it('should keep a payload holding NUL as base64 and no NUL in any text field', () => {
    const bytes = Buffer.from('{"id":"a\u0000b","source":"s\u0000"}');
    const letter = createDeadLetter({
      reason: 'id: must not contain the NUL character (U+0000) \u0000',
      kind: 'invalid_event',
      payload: bytes,
      subject: 'purser.usage.v1.\u0000',
      eventId: 'a\u0000b',
      eventSource: 's\u0000\ud800',
      error: { code: 'INVALID_EVENT', issues: ['x\u0000', 'y'] },
      now,
    });
    expect(letter).toMatchObject({
      payload_encoding: 'base64',
      payload_truncated: false,
      subject: 'purser.usage.v1.\ufffd',
      event_id: 'a\ufffdb',
      event_source: 's\ufffd\ufffd',
      reason: 'id: must not contain the NUL character (U+0000) \ufffd',
      error: { issues: ['x\ufffd', 'y'] },
    });
    expect(Buffer.from(letter.payload, 'base64').equals(bytes)).toBe(true);
    expect(JSON.stringify(letter)).not.toMatch(/\\u0000|\\ud[89ab]/);
    // The same text given as a string: its UTF-8 bytes, base64-encoded.
    const fromText = createDeadLetter({
      reason: 'r',
      kind: 'invalid_event',
      payload: bytes.toString('utf8'),
      subject: 'http',
      error: { code: 'INVALID_EVENT' },
      now,
    });
    expect(fromText.payload).toBe(letter.payload);
  });

  it('should never throw on content: empty or huge reasons, subjects and issue lists', () => {
    const letter = createDeadLetter({
      reason: '',
      kind: 'retries_exhausted',
      payload: new Uint8Array(MAX_DEAD_LETTER_PAYLOAD_CHARS + 5).fill(0),
      subject: 'x'.repeat(10_000),
      eventId: `a${'🚀'.repeat(200)}`,
      error: { code: '', issues: Array.from({ length: 1000 }, () => 'i'.repeat(5000)) },
      now,
    });
    expect(letter.reason).toBe('rejected');
    expect(letter.subject).toHaveLength(512);
    expect(letter.event_id).toBe(`a${'🚀'.repeat(127)}`);
    expect(letter.error.issues).toHaveLength(100);
    expect(letter.payload_truncated).toBe(true);
    expect(Buffer.from(letter.payload, 'base64')).toHaveLength(MAX_DEAD_LETTER_PAYLOAD_CHARS);
  });

  it('should truncate a huge payload and say so', () => {
    const letter = createDeadLetter({
      reason: 'too large',
      kind: 'invalid_event',
      payload: 'x'.repeat(MAX_DEAD_LETTER_PAYLOAD_CHARS + 10),
      subject: 'http',
      error: { code: 'SCHEMA_VIOLATION' },
      now,
    });
    expect(letter.payload).toHaveLength(MAX_DEAD_LETTER_PAYLOAD_CHARS);
    expect(letter.payload_truncated).toBe(true);
  });
});

describe('decisionLoggedSchema', () => {
  const decision = {
    decision_id: 'dec_01',
    decided_at: '2026-11-23T10:00:00Z',
    request: {
      provider: 'openai',
      model: 'gpt-4.1',
      attribution: { team: 'search', customer: 'acme' },
      estimated_input_tokens: 1200,
      max_output_tokens: 800,
    },
    allow: true,
    action: 'downgrade',
    model: 'gpt-4.1-mini',
    reasons: [{ code: 'BUDGET_SOFT_LIMIT', message: 'team budget at 92%', budget_id: 'b1' }],
    estimated_cost: { amount: '0.00112', currency: 'usd' },
    policy_revision: 'rev-2026-11-20.3',
    latency_ms: 1.8,
  };

  it('should accept a decision and apply defaults', () => {
    const parsed = decisionLoggedSchema.parse(decision);
    expect(parsed.simulated).toBe(false);
    expect(parsed.estimated_cost).toEqual({ amount: '0.00112', currency: 'USD' });
  });

  it.each([
    [{ action: 'block' }, 'action'],
    [{ estimated_cost: { amount: 0.001, currency: 'USD' } }, 'estimated_cost'],
    [{ policy_revision: '' }, 'policy_revision'],
    [{ latency_ms: -1 }, 'latency_ms'],
    [{ decided_at: '2026-11-23 10:00' }, 'decided_at'],
  ])('should reject %j', (override, field) => {
    const result = decisionLoggedSchema.safeParse({ ...decision, ...override });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });
});

describe('budgetThresholdCrossedSchema', () => {
  const alert = {
    alert_id: 'b1:2026-11:0.8',
    budget_id: 'b1',
    threshold: 0.8,
    kind: 'soft_threshold',
    window: {
      period: 'monthly',
      starts_at: '2026-11-01T00:00:00Z',
      ends_at: '2026-12-01T00:00:00Z',
    },
    spent: '801.25',
    limit: '1000',
    currency: 'usd',
    scope: { team: 'search' },
    mode: 'alert_only',
    crossed_at: '2026-11-23T10:00:00Z',
  };

  it('should accept an alert and apply defaults', () => {
    expect(budgetThresholdCrossedSchema.parse(alert)).toMatchObject({
      reserved: '0',
      currency: 'USD',
      window: { timezone: 'UTC' },
    });
  });

  it.each([
    [{ spent: 801.25 }, 'spent'],
    [{ limit: '-1' }, 'limit'],
    [{ kind: 'limit_reached' }, 'kind'],
    [{ threshold: 1 }, 'kind'],
    [{ threshold: 0 }, 'threshold'],
    [{ currency: 'US' }, 'currency'],
  ])('should reject %j', (override, field) => {
    const result = budgetThresholdCrossedSchema.safeParse({ ...alert, ...override });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });
});
