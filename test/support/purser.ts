import { randomBytes } from 'node:crypto';
import { Purser, loadEnv, type Env } from '@purser/api';
import { createTestDatabase, type TestDatabase } from './database';

export interface RunningPurser {
  purser: Purser;
  url: string;
  adminToken: string;
  database: TestDatabase;
  /** POSTs a GraphQL operation with the given bearer secret (the admin's by default). */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
  /** Creates a key with the role and returns its secret. */
  keyFor(role: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a full Purser instance on a random port with a database of its own.
 * Pass `database` to share one between instances (two replicas on one database).
 */
export async function startPurser(
  options: {
    env?: Record<string, string>;
    database?: TestDatabase;
    nats?: boolean;
    /** The clock decisions, windows and the hold sweeper read (tests move it). */
    clock?: () => Date;
  } = {},
): Promise<RunningPurser> {
  const database = options.database ?? (await createTestDatabase());
  const ownsDatabase = !options.database;
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  const env: Env = loadEnv({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.PURSER_TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    PURSER_ADMIN_TOKEN: adminToken,
    // Fixtures are dated (2026): the age bound is tested on its own (test/security/ingest-rules),
    // so the suites do not start failing once their dates are 400 days old.
    INGEST_MAX_AGE_DAYS: '36500',
    ...(database.url ? { DATABASE_URL: database.url } : { PURSER_DATA_DIR: database.dataDir }),
    ...(options.nats && process.env.NATS_URL ? { NATS_URL: process.env.NATS_URL } : {}),
    ...options.env,
  });
  const purser = await Purser.create({ env, ...(options.clock ? { clock: options.clock } : {}) });
  await purser.listen(0, '127.0.0.1');
  const url = purser.url;
  return {
    purser,
    url,
    adminToken,
    database,
    ...adminCalls(url, adminToken),
    async stop() {
      await purser.stop();
      if (ownsDatabase) await database.drop();
    },
  };
}

/**
 * GraphQL calls to a service at `url` (the admin's secret by default) and the key-making one
 * built on it: the same whether the service runs in this process or in its own.
 */
export function adminCalls(
  url: string,
  adminToken: string,
): Pick<RunningPurser, 'graphql' | 'keyFor'> {
  async function graphql<T>(
    query: string,
    variables?: Record<string, unknown>,
    token: string | null = adminToken,
  ) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      data?: T;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
  }
  return {
    graphql,
    async keyFor(role) {
      const result = await graphql<{ createApiKey: { secret: string } }>(
        'mutation($name: String!, $role: String!) { createApiKey(name: $name, role: $role) { secret } }',
        { name: `test ${role}`, role },
      );
      if (!result.data) throw new Error(`createApiKey failed: ${JSON.stringify(result.errors)}`);
      return result.data.createApiKey.secret;
    },
  };
}

/** An HTTP answer: its status and its parsed JSON body. */
export interface JsonAnswer<T> {
  status: number;
  body: T;
}

/**
 * POSTs `body` JSON-encoded (a string too: it goes as a JSON string) to `url` with a bearer
 * `token`, as `contentType`; answers the status and the parsed body.
 */
export async function postJson<T = Record<string, unknown>>(
  url: string,
  token: string,
  body: unknown,
  contentType = 'application/json',
): Promise<JsonAnswer<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** What `POST /v1/usage` answers for a batch. */
export interface UsageAnswer {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/**
 * POSTs a batch of usage events to `/v1/usage` with `token` (a gateway's or the admin's
 * secret) and answers the parsed counts; a refused request (not 200) throws with its answer.
 */
export async function postUsage(
  service: Pick<RunningPurser, 'url'>,
  token: string,
  events: unknown[],
): Promise<UsageAnswer> {
  const answer = await postJson<UsageAnswer>(`${service.url}/v1/usage`, token, events);
  // Anything but 200 is a refused request (its body an error, not counts): say so here
  // rather than let a caller read `accepted` off an error body as undefined.
  if (answer.status !== 200) {
    throw new Error(`POST /v1/usage answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

/** Two instances sharing one fresh Postgres database: two replicas of one deployment. */
export interface Replicas {
  first: RunningPurser;
  second: RunningPurser;
  /** Stops both and drops their database. */
  stop(): Promise<void>;
}

export async function startReplicas(env?: Record<string, string>): Promise<Replicas> {
  const database = await createTestDatabase();
  const first = await startPurser({ database, env });
  const second = await startPurser({ database, env });
  return {
    first,
    second,
    async stop() {
      await first.stop();
      await second.stop();
      await database.drop();
    },
  };
}

/** The service of one describe block ({@link servePurser}): set once its `beforeAll` ran. */
export interface ServedPurser {
  service: RunningPurser;
  /** The secret of a key with the role asked for. */
  key: string;
}

/**
 * Gives the describe block it is called in a service of its own: started before its tests
 * (with `start`'s options), a key of `role` created, `prepare` run (price a model…); stopped
 * after them. Read its fields inside tests and hooks, once it has started.
 */
export function servePurser(
  role: string,
  options: {
    start?: Parameters<typeof startPurser>[0];
    prepare?: (service: RunningPurser) => Promise<unknown>;
  } = {},
): ServedPurser {
  return inDescribe<ServedPurser>(
    async (served) => {
      served.service = await startPurser(options.start);
      served.key = await served.service.keyFor(role);
      await options.prepare?.(served.service);
    },
    (served) => served.service?.stop(),
  );
}

/** The replicas of one describe block ({@link serveReplicas}): set once its `beforeAll` ran. */
export interface ServedReplicas {
  replicas: Replicas;
  /** A gateway key's secret on each replica: `[first, second]`. */
  keys: [string, string];
}

/**
 * Gives the describe block it is called in two replicas sharing one fresh database
 * ({@link startReplicas} with `env`): started before its tests with a gateway key on each,
 * `prepare` run; stopped after them (needs Postgres).
 */
export function serveReplicas(
  options: {
    env?: Record<string, string>;
    prepare?: (replicas: Replicas) => Promise<unknown>;
  } = {},
): ServedReplicas {
  return inDescribe<ServedReplicas>(
    async (served) => {
      served.replicas = await startReplicas(options.env);
      const { first, second } = served.replicas;
      served.keys = [await first.keyFor('gateway'), await second.keyFor('gateway')];
      await options.prepare?.(served.replicas);
    },
    (served) => served.replicas?.stop(),
  );
}

/**
 * An object the describe block it is called in fills before its tests (`start`) and stops
 * after them (`stop`, given whatever `start` had filled in, should it have failed midway).
 */
function inDescribe<T>(
  start: (served: T) => Promise<void>,
  stop: (served: Partial<T>) => Promise<void> | undefined,
): T {
  const served = {} as T;
  beforeAll(() => start(served));
  afterAll(() => stop(served));
  return served;
}
