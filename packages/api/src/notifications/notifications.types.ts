import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../graphql/pagination';

export enum WebhookEventType {
  BUDGET_THRESHOLD = 'BUDGET_THRESHOLD',
  ANOMALY = 'ANOMALY',
  RECONCILIATION_VARIANCE = 'RECONCILIATION_VARIANCE',
  MONTHLY_REPORT = 'MONTHLY_REPORT',
}
registerEnumType(WebhookEventType, {
  name: 'WebhookEvent',
  valuesConfig: {
    BUDGET_THRESHOLD: { description: 'A budget crossed a soft threshold or reached its limit.' },
    ANOMALY: { description: 'Hourly spend far from its own baseline.' },
    RECONCILIATION_VARIANCE: {
      description: "A provider's bill for a day differs from Purser's estimate past 1 %.",
    },
    MONTHLY_REPORT: { description: "A month's report is ready." },
  },
});

export enum WebhookFormatType {
  SLACK = 'SLACK',
  JSON = 'JSON',
}
registerEnumType(WebhookFormatType, {
  name: 'WebhookFormat',
  valuesConfig: {
    SLACK: { description: 'A Slack incoming-webhook message: {"text", "blocks"}.' },
    JSON: { description: 'The plain envelope: {"id", "type", "occurredAt", "data"}.' },
  },
});

export enum WebhookDeliveryState {
  PENDING = 'pending',
  DELIVERED = 'delivered',
  FAILED = 'failed',
}
registerEnumType(WebhookDeliveryState, { name: 'WebhookDeliveryState' });

@InputType({ description: 'A webhook to create.' })
export class CreateWebhookInput {
  @Field(() => String, { description: 'Unique name, 1 to 200 printable characters.' })
  name: string;
  @Field(() => String, {
    description:
      'http or https, no credentials, no fragment, at most 2048 characters. Write-only past its origin (encrypted at rest).',
  })
  url: string;
  @Field(() => WebhookFormatType) format: WebhookFormatType;
  @Field(() => [WebhookEventType], { description: 'What it is sent: at least one, no repeats.' })
  events: WebhookEventType[];
  @Field(() => String, {
    nullable: true,
    description:
      'The HMAC-SHA256 signing secret (16 to 256 characters); left out, one is generated. Returned once, by createWebhook.',
  })
  secret?: string | null;
}

@InputType({ description: 'What to change in a webhook; a field left out keeps its value.' })
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => WebhookFormatType, { nullable: true }) format?: WebhookFormatType | null;
  @Field(() => [WebhookEventType], { nullable: true }) events?: WebhookEventType[] | null;
  @Field(() => String, { nullable: true, description: 'A new signing secret (rotation).' })
  secret?: string | null;
  @Field(() => Boolean, {
    nullable: true,
    description: 'false stops sending it and gives up its pending deliveries.',
  })
  enabled?: boolean | null;
}

@ObjectType()
export class Webhook {
  @Field(() => ID) id: string;
  @Field(() => String) name: string;
  @Field(() => String, {
    description: 'Scheme, host and port only (a Slack URL carries its token in the path).',
  })
  url: string;
  @Field(() => WebhookFormatType) format: WebhookFormatType;
  @Field(() => [WebhookEventType]) events: WebhookEventType[];
  @Field(() => Boolean) enabled: boolean;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date) updatedAt: Date;
}

@ObjectType()
export class CreatedWebhook {
  @Field(() => Webhook) webhook: Webhook;
  @Field(() => String, {
    description: 'The signing secret: shown this once (X-Purser-Signature, docs/notifications.md).',
  })
  secret: string;
}

@ObjectType()
export class WebhookAttempt {
  @Field(() => Int) attempt: number;
  @Field(() => Date) startedAt: Date;
  @Field(() => Int) durationMs: number;
  @Field(() => Int, { nullable: true, description: 'null: no answer (timeout, network).' })
  statusCode: number | null;
  @Field(() => String, { nullable: true }) error: string | null;
}

@ObjectType()
export class WebhookDelivery {
  @Field(() => ID) id: string;
  @Field(() => ID) webhookId: string;
  @Field(() => String, {
    description: 'Sent as Idempotency-Key and X-Purser-Delivery: the same on every attempt.',
  })
  deliveryKey: string;
  @Field(() => String, { description: 'The event id (the JSON envelope\'s "id").' })
  eventId: string;
  @Field(() => String, { description: 'A WebhookEvent, or TEST (testWebhook).' })
  eventType: string;
  @Field(() => Date) occurredAt: Date;
  @Field(() => WebhookDeliveryState) state: WebhookDeliveryState;
  @Field(() => Int, { description: 'Attempts made (or under way).' }) attempts: number;
  @Field(() => Int) maxAttempts: number;
  @Field(() => Date, { nullable: true }) nextAttemptAt: Date | null;
  @Field(() => Int, { nullable: true }) lastStatusCode: number | null;
  @Field(() => String, { nullable: true }) lastError: string | null;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true }) finishedAt: Date | null;
  @Field(() => [WebhookAttempt], { description: 'Every attempt recorded, first first.' })
  attemptLog: WebhookAttempt[];
}

export const WebhookDeliveryConnection = Connection(WebhookDelivery, 'WebhookDelivery');
