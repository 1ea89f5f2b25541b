import type { Principal } from '../auth/api-key.service';

/**
 * What every resolver receives: the caller (null when no valid key), the services it calls
 * and the request id. A resolver names the services it calls (`GraphQLContext<{ pricing:
 * PricingService }>`), so no domain imports the service registry; the assembly passes the
 * registry, which has them all.
 */
export interface GraphQLContext<S extends object = object> {
  principal: Principal | null;
  services: S;
  requestId: string;
}
