import { ConfigError, loadEnv } from './env';

describe('loadEnv', () => {
  it('should apply the documented defaults to an empty environment', () => {
    const env = loadEnv({});
    expect(env.PORT).toBe(4000);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PURSER_DATA_DIR).toBe('./.purser');
    expect(env.NATS_URL).toBeUndefined();
    expect(env.NODE_ENV).toBe('development');
  });

  it('should treat empty strings as unset', () => {
    expect(loadEnv({ DATABASE_URL: '', NATS_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT: .*\(got "eighty"\)/],
    [{ PORT: '70000' }, /PORT: /],
    [
      { DATABASE_URL: 'mysql://localhost/x' },
      /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    [{ NATS_URL: 'localhost:4222' }, /NATS_URL: must be nats:\/\/host:port/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL: must be one of "fatal", "error"/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV: must be one of "development", "production", "test"/],
    [{ PURSER_ADMIN_TOKEN: 'short' }, /PURSER_ADMIN_TOKEN: must be at least 16 characters/],
    [{ PURSER_SEED_CATALOG: 'maybe' }, /PURSER_SEED_CATALOG: must be one of/],
  ])('should reject %j with a message naming the variable', (source, message) => {
    expect(() => loadEnv(source)).toThrow(ConfigError);
    expect(() => loadEnv(source)).toThrow(message);
  });

  it('should name every invalid variable at once', () => {
    try {
      loadEnv({ PORT: 'x', LOG_LEVEL: 'y' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((issue) => issue.split(':')[0]).sort()).toEqual([
        'LOG_LEVEL',
        'PORT',
      ]);
    }
  });

  it('should accept a NATS cluster list and coerce numbers', () => {
    const env = loadEnv({
      NATS_URL: 'nats://a:4222,nats://b:4222',
      PORT: '8080',
      PURSER_SEED_CATALOG: 'false',
    });
    expect(env.NATS_URL).toBe('nats://a:4222,nats://b:4222');
    expect(env.PORT).toBe(8080);
    expect(env.PURSER_SEED_CATALOG).toBe(false);
  });
});
