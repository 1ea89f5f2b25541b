import { Arg, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { type ApiKeyService, assertPermission } from '../auth/api-key.service';
import { permissionsOf } from '../auth/roles';
import { unauthenticated } from '../errors';

@ObjectType()
export class ApiKeyCreated {
  @Field(() => ID) id: string;
  @Field(() => String) role: string;
  @Field(() => String, { description: 'The secret; shown this once and never again.' })
  secret: string;
}

@ObjectType()
export class ApiKey {
  @Field(() => ID) id: string;
  @Field(() => String) name: string;
  @Field(() => String) role: string;
  @Field(() => String, { description: 'The first characters of the secret.' }) secretPrefix: string;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true }) revokedAt: Date | null;
}

@ObjectType({ description: 'The key a request is made with: what a client may show or offer.' })
export class Me {
  @Field(() => ID) keyId: string;
  @Field(() => String) name: string;
  @Field(() => String) role: string;
  @Field(() => [String], { description: 'The permissions of its role, sorted.' })
  permissions: string[];
}

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{ apiKeys: ApiKeyService }>;

@Resolver()
export class ApiKeyResolver {
  @Mutation(() => ApiKeyCreated, { description: 'Creates an API key; returns the secret once.' })
  async createApiKey(
    @Arg('name', () => String) name: string,
    @Arg('role', () => String) role: string,
    @Ctx() context: Context,
  ): Promise<ApiKeyCreated> {
    assertPermission(context.principal, 'apiKeys.manage');
    return context.services.apiKeys.create(name, role);
  }

  @Mutation(() => Boolean, { description: 'Revokes a key; false when it was already revoked.' })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    assertPermission(context.principal, 'apiKeys.manage');
    return context.services.apiKeys.revoke(id);
  }

  @Query(() => Me, { description: 'The calling key: its name, role and permissions (any role).' })
  me(@Ctx() context: Context): Me {
    const principal = context.principal;
    if (!principal) throw unauthenticated();
    return {
      keyId: principal.keyId,
      name: principal.name,
      role: principal.role,
      permissions: permissionsOf(principal.role),
    };
  }

  @Query(() => [ApiKey])
  async apiKeys(@Ctx() context: Context): Promise<ApiKey[]> {
    assertPermission(context.principal, 'apiKeys.manage');
    return context.services.apiKeys.list();
  }
}
