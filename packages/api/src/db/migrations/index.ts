import { ApiKeys1763900000000 } from './1763900000000-api-keys';

/** Every migration, oldest first. The same list runs on PGlite and on Postgres 15. */
export const migrations = [ApiKeys1763900000000];
