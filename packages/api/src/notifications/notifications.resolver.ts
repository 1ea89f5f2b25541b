import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import { badInput } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import type { DeliveryQueries } from './delivery-query';
import {
  CreatedWebhook,
  CreateWebhookInput,
  UpdateWebhookInput,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryConnection,
} from './notifications.types';
import type { WebhookService } from './webhook.service';

/** The services this resolver calls. */
type Context = GraphQLContext<{ webhooks: WebhookService; webhookDeliveries: DeliveryQueries }>;

/** A webhook id is a UUID; anything else is refused before the database sees it. */
function checkId(id: string, field: string): string {
  if (!/^[0-9A-Za-z-]{1,100}$/.test(id)) {
    throw badInput(`${field}: not a webhook id (a UUID)`, { field });
  }
  return id;
}

// The service answers the same strings the GraphQL enums carry.
const asWebhook = <T>(value: T) => value as unknown as Webhook;

@Resolver()
export class NotificationsResolver {
  @Query(() => [Webhook], { description: 'Configured webhooks, by name.' })
  async webhooks(@Ctx() context: Context): Promise<Webhook[]> {
    assertPermission(context.principal, 'notifications.read');
    return (await context.services.webhooks.list()).map(asWebhook);
  }

  @Query(() => WebhookDeliveryConnection, {
    description: "A webhook's deliveries, newest first, with every attempt made.",
  })
  webhookDeliveries(
    @Arg('webhookId', () => ID) webhookId: string,
    @Ctx() context: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    assertPermission(context.principal, 'notifications.read');
    return context.services.webhookDeliveries.page(checkId(webhookId, 'webhookId'), first, after);
  }

  @Mutation(() => CreatedWebhook, {
    description:
      'Adds a webhook; answers its signing secret once. Needs PURSER_SECRET_KEY (the URL and secret are stored encrypted).',
  })
  async createWebhook(
    @Arg('input', () => CreateWebhookInput) input: CreateWebhookInput,
    @Ctx() context: Context,
  ): Promise<CreatedWebhook> {
    assertPermission(context.principal, 'notifications.manage');
    const created = await context.services.webhooks.create(input);
    return { webhook: asWebhook(created.webhook), secret: created.secret };
  }

  @Mutation(() => Webhook, { description: 'Changes a webhook; a field left out keeps its value.' })
  async updateWebhook(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateWebhookInput) input: UpdateWebhookInput,
    @Ctx() context: Context,
  ): Promise<Webhook> {
    assertPermission(context.principal, 'notifications.manage');
    return asWebhook(await context.services.webhooks.update(checkId(id, 'id'), input));
  }

  @Mutation(() => Boolean, { description: 'Deletes a webhook with its deliveries.' })
  deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    assertPermission(context.principal, 'notifications.manage');
    return context.services.webhooks.delete(checkId(id, 'id'));
  }

  @Mutation(() => WebhookDelivery, {
    description: 'Sends a TEST event to the webhook now (one attempt) and answers the delivery.',
  })
  async testWebhook(@Arg('id', () => ID) id: string, @Ctx() context: Context) {
    assertPermission(context.principal, 'notifications.manage');
    return context.services.webhooks.test(checkId(id, 'id'));
  }
}
