import type { Principal } from '../auth/api-key.service';
import type { Services } from '../services';

/** What every resolver receives: the caller (null when no valid key) and the services. */
export interface GraphQLContext {
  principal: Principal | null;
  services: Services;
  requestId: string;
}
