// The `me` query the console signs in with: every role may ask it, and it answers the key's
// name, role and exactly the permissions of that role (roles.ts), so the console hides the rest.
import { PERMISSIONS } from '@purser/api';
import { startPurser, type RunningPurser } from '../support/purser';

const ME = `query { me { keyId name role permissions } }`;

describe('me', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser();
  });

  afterAll(async () => {
    await service.stop();
  });

  it('should answer each role its name and its permissions', async () => {
    for (const role of ['admin', 'finance', 'viewer', 'gateway']) {
      const key = await service.keyFor(role);
      const answer = await service.graphql<{
        me: { keyId: string; name: string; role: string; permissions: string[] };
      }>(ME, {}, key);
      expect(answer.errors).toBeUndefined();
      const expected = Object.entries(PERMISSIONS)
        .filter(([, roles]) => (roles as readonly string[]).includes(role))
        .map(([permission]) => permission)
        .sort();
      expect(answer.data!.me).toEqual({
        keyId: expect.any(String),
        name: `test ${role}`,
        role,
        permissions: expected,
      });
    }
  });

  it('should refuse a request without a valid key', async () => {
    const response = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope-nope-nope' },
      body: JSON.stringify({ query: ME }),
    });
    expect(response.status).toBe(401);
  });
});
