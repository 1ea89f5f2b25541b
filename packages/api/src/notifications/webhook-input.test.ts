import fc from 'fast-check';
import { PurserError } from '../errors';
import {
  MAX_NAME,
  WEBHOOK_EVENTS,
  checkEvents,
  checkWebhookInput,
  displayUrl,
  type WebhookFields,
} from './webhook-input';

const valid: WebhookFields = {
  name: 'finance alerts',
  url: 'https://hooks.slack.com/services/T000/B000/XXXX',
  format: 'SLACK',
  events: ['BUDGET_THRESHOLD'],
};

/** The field a BAD_USER_INPUT names, or 'ok' when the input passed. */
function verdict(input: WebhookFields): string {
  try {
    checkWebhookInput(input);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(PurserError);
    const named = error as PurserError;
    expect(named.code).toBe('BAD_USER_INPUT');
    expect(named.message.startsWith(`${String(named.details?.field)}: `)).toBe(true);
    return String(named.details?.field);
  }
}

describe('webhook input', () => {
  it('should accept a well-formed webhook and keep only its fields', () => {
    expect(
      checkWebhookInput({ ...valid, name: '  finance alerts ', secret: 's'.repeat(16) }),
    ).toEqual({
      name: 'finance alerts',
      url: valid.url,
      format: 'SLACK',
      events: ['BUDGET_THRESHOLD'],
      secret: 's'.repeat(16),
    });
  });

  it.each([
    ['ftp://files.example.com/in', 'url: must be http or https (got ftp)'],
    ['javascript:alert(1)', 'url: must be http or https (got javascript)'],
    ['https://user:pw@hooks.example.com/x', 'url: must not carry credentials'],
    ['https://hooks.example.com/x#part', 'url: must not have a #fragment'],
    ['not a url', 'url: must not contain spaces'],
    ['hooks.example.com/x', 'url: not a URL'],
    ['', 'url: 1 to 2048 characters'],
  ])('should refuse the url %s naming what is wrong', (url, message) => {
    expect(() => checkWebhookInput({ ...valid, url })).toThrow(message);
  });

  it('should allow loopback and private receivers (documented)', () => {
    expect(checkWebhookInput({ ...valid, url: 'http://127.0.0.1:8080/hook' }).url).toBe(
      'http://127.0.0.1:8080/hook',
    );
    expect(checkWebhookInput({ ...valid, url: 'http://10.0.0.7/hook' }).url).toBe(
      'http://10.0.0.7/hook',
    );
  });

  it('should refuse link-local receivers, in every spelling the URL parser reads', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/',
      'http://0xa9fea9fe/',
      'http://[fe80::1]/',
      'http://[::ffff:169.254.169.254]/',
    ]) {
      expect(() => checkWebhookInput({ ...valid, url })).toThrow(
        'url: must not be a link-local address',
      );
    }
    expect(checkWebhookInput({ ...valid, url: 'http://169.255.0.1/' }).url).toBe(
      'http://169.255.0.1/',
    );
  });

  it('should refuse the metadata services that are not link-local, and only those', () => {
    for (const url of [
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://[FD00:EC2:0:0:0:0:0:254]/',
      'http://100.100.100.200/latest/meta-data/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.google.internal./',
      'http://metadata.goog/',
    ]) {
      expect(() => checkWebhookInput({ ...valid, url })).toThrow('or a cloud metadata service');
    }
    // Their neighbours are ordinary private receivers.
    for (const url of [
      'http://[fd00:ec2::253]/',
      'http://100.100.100.201/',
      'http://hooks.google.internal/',
    ]) {
      expect(checkWebhookInput({ ...valid, url }).url).toBe(url);
    }
  });

  it('should refuse empty, unknown and repeated events naming the event', () => {
    expect(() => checkEvents([])).toThrow('events: at least one of BUDGET_THRESHOLD');
    expect(() => checkEvents(['BUDGET_THRESHOLD', 'TEST'])).toThrow('events: "TEST" is not one of');
    expect(() => checkEvents(['ANOMALY', 'ANOMALY'])).toThrow('events: ANOMALY is listed twice');
  });

  it('should show a URL without its path or query (a Slack URL carries its token there)', () => {
    expect(displayUrl(valid.url)).toBe('https://hooks.slack.com/…');
    expect(displayUrl('http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000/');
    expect(displayUrl('http://127.0.0.1:9000/?token=x')).toBe('http://127.0.0.1:9000/…');
  });

  it('should name the wrong field of any generated input, or accept it only when every field is valid', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('', ' ', 'a\u0000b', 'x'.repeat(MAX_NAME + 1), '__proto__', 'lone \ud800'),
    );
    fc.assert(
      fc.property(
        fc.record({
          name: fc.oneof(text, fc.constant('ok name')),
          url: fc.oneof(
            text,
            fc.webUrl({ withFragments: true, withQueryParameters: true }),
            fc.constantFrom('http://u:p@h/', 'mailto:a@b.c', 'https://h.example/ok'),
          ),
          format: fc.oneof(fc.constantFrom('SLACK', 'JSON', 'slack', 'XML'), text),
          events: fc.array(fc.oneof(fc.constantFrom(...WEBHOOK_EVENTS, 'TEST'), text), {
            maxLength: 6,
          }),
          secret: fc.option(fc.oneof(text, fc.string({ minLength: 16, maxLength: 300 }))),
        }),
        (input) => {
          const field = verdict(input);
          const fieldsInOrder = ['name', 'url', 'format', 'events', 'secret'] as const;
          if (field === 'ok') {
            const checked = checkWebhookInput(input);
            expect(checked.events.length).toBeGreaterThan(0);
            expect(['http:', 'https:']).toContain(new URL(checked.url).protocol);
          } else {
            // The named field is wrong on its own: fixing every other field still fails on it.
            expect(fieldsInOrder).toContain(field);
            const repaired = { ...valid, [field]: input[field as keyof WebhookFields] };
            expect(verdict(repaired as WebhookFields)).toBe(field);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
