import { ApiKeyEntity } from '../auth/api-key.entity';
import { PriceCardEntity } from '../pricing/price-card.entity';

/** Every TypeORM entity of the service. */
export const entities = [ApiKeyEntity, PriceCardEntity];
