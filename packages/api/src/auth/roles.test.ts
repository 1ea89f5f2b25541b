import { PERMISSIONS, permissionsOf, ROLES } from './roles';

describe('permissionsOf', () => {
  it('should list exactly the permissions whose roles include the role, sorted', () => {
    for (const role of ROLES) {
      const expected = Object.entries(PERMISSIONS)
        .filter(([, roles]) => (roles as readonly string[]).includes(role))
        .map(([permission]) => permission)
        .sort();
      expect(permissionsOf(role)).toEqual(expected);
    }
  });

  it('should give admin everything and a viewer no write', () => {
    expect(permissionsOf('admin')).toHaveLength(Object.keys(PERMISSIONS).length);
    const viewer = permissionsOf('viewer');
    expect(viewer).toContain('usage.read');
    expect(viewer).not.toContain('deadLetters.replay');
    expect(viewer.filter((permission) => /write|manage|replay/.test(permission))).toEqual([]);
  });
});
