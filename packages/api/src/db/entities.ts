import { ApiKeyEntity } from '../auth/api-key.entity';

/** Every TypeORM entity of the service. */
export const entities = [ApiKeyEntity];
