import {
  ALERTS_SUBJECT,
  DECISIONS_SUBJECT,
  USAGE_DLQ_SUBJECT,
  USAGE_INGEST_FILTER,
  USAGE_STREAM,
  USAGE_SUBJECTS,
  usageSubject,
} from './subjects';

/** NATS subject matching, enough for the wildcards we use (`*` one token, `>` the rest). */
function matches(filter: string, subject: string): boolean {
  const filterTokens = filter.split('.');
  const subjectTokens = subject.split('.');
  for (let index = 0; index < filterTokens.length; index += 1) {
    const token = filterTokens[index];
    if (token === '>') return subjectTokens.length > index;
    if (token !== '*' && token !== subjectTokens[index]) return false;
  }
  return filterTokens.length === subjectTokens.length;
}

describe('subjects', () => {
  it('should keep the contract names of ARCHITECTURE.md', () => {
    expect({
      USAGE_STREAM,
      USAGE_SUBJECTS,
      USAGE_INGEST_FILTER,
      USAGE_DLQ_SUBJECT,
      DECISIONS_SUBJECT,
      ALERTS_SUBJECT,
    }).toEqual({
      USAGE_STREAM: 'PURSER_USAGE',
      USAGE_SUBJECTS: 'purser.usage.>',
      USAGE_INGEST_FILTER: 'purser.usage.v1.>',
      USAGE_DLQ_SUBJECT: 'purser.usage.dlq',
      DECISIONS_SUBJECT: 'purser.decisions.v1',
      ALERTS_SUBJECT: 'purser.alerts.v1',
    });
  });

  it.each([
    ['openai', 'purser.usage.v1.openai'],
    ['Anthropic', 'purser.usage.v1.anthropic'],
    ['azure.ai.openai', 'purser.usage.v1.azure_ai_openai'],
    ['vertex ai/*', 'purser.usage.v1.vertex_ai__'],
    ['  ', 'purser.usage.v1.unknown'],
  ])('should build the subject of provider %j', (provider, subject) => {
    expect(usageSubject(provider)).toBe(subject);
    expect(subject.split('.')).toHaveLength(4);
  });

  it('should store usage and dead letters in the stream but ingest only usage', () => {
    const usage = usageSubject('openai');
    expect(matches(USAGE_SUBJECTS, usage)).toBe(true);
    expect(matches(USAGE_SUBJECTS, USAGE_DLQ_SUBJECT)).toBe(true);
    expect(matches(USAGE_INGEST_FILTER, usage)).toBe(true);
    expect(matches(USAGE_INGEST_FILTER, USAGE_DLQ_SUBJECT)).toBe(false);
    expect(matches(USAGE_SUBJECTS, DECISIONS_SUBJECT)).toBe(false);
  });
});
