/** Who is signed in: the `me` query's answer. */
export interface Me {
  keyId: string;
  name: string;
  role: string;
  permissions: string[];
}

/** Whether the signed-in key's role has a permission (packages/api roles.ts names them). */
export function can(me: Me | null, permission: string): boolean {
  return !!me && me.permissions.includes(permission);
}
