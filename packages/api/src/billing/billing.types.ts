import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';

@InputType({ description: 'A billing source: one provider account Purser pulls the bill from.' })
export class BillingSourceInput {
  @Field(() => String, { description: 'openai, anthropic or focus (a cloud FOCUS export).' })
  provider: string;
  @Field(() => String, { description: 'Unique name, 1 to 200 characters.' }) name: string;
  @Field(() => String, {
    nullable: true,
    description:
      "The API's base URL, with or without its version prefix; default the provider's public API.",
  })
  baseUrl?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'The admin API key. Write-only: encrypted at rest, never returned. On update: absent keeps it (give it again to change baseUrl), "" removes it.',
  })
  apiKey?: string | null;
}

@ObjectType()
export class BillingSource {
  @Field(() => ID) id: string;
  @Field(() => String) provider: string;
  @Field(() => String) name: string;
  @Field(() => String, { nullable: true, description: 'As configured (null: the default).' })
  baseUrl: string | null;
  @Field(() => String, {
    nullable: true,
    description: "The URL synced from: baseUrl, else the provider's public API (null for files).",
  })
  effectiveBaseUrl: string | null;
  @Field(() => Boolean, { description: 'Whether an API key is stored (it is never returned).' })
  hasApiKey: boolean;
  @Field(() => Date, { nullable: true }) lastSyncedAt: Date | null;
}

@ObjectType()
export class BillingSync {
  @Field(() => Int, { description: 'Cost lines not stored before.' }) linesImported: number;
  @Field(() => Int, { description: 'Cost lines already stored, unchanged.' })
  linesUnchanged: number;
  @Field(() => Int, {
    description: 'Cost lines the provider restated: replaced, the previous amount kept.',
  })
  linesRestated: number;
  @Field(() => [String], { description: 'What the adapter skipped or guessed (bounded).' })
  warnings: string[];
}

export enum ReconciliationDimension {
  DAY = 'day',
  MODEL = 'model',
  PROJECT = 'project',
  TOKEN_TYPE = 'token_type',
}
registerEnumType(ReconciliationDimension, { name: 'ReconciliationDimension' });

export enum ReconciliationStatus {
  MATCHED = 'MATCHED',
  OVER = 'OVER',
  UNDER = 'UNDER',
  MISSING_INTERNAL = 'MISSING_INTERNAL',
  MISSING_PROVIDER = 'MISSING_PROVIDER',
}
registerEnumType(ReconciliationStatus, {
  name: 'ReconciliationStatus',
  valuesConfig: {
    MATCHED: { description: '|estimated − billed| within the tolerance (default 1 % of billed).' },
    OVER: { description: 'Purser estimated more than the provider billed.' },
    UNDER: { description: 'Purser estimated less than the provider billed.' },
    MISSING_INTERNAL: { description: 'Billed, but Purser has no usage for the group.' },
    MISSING_PROVIDER: { description: 'Purser has usage, the provider billed nothing for it.' },
  },
});

@ObjectType()
export class ReconciliationRow {
  @Field(() => JSONObjectScalar, {
    description: 'Lowercase keys: day (2026-11-20), model, project, token_type.',
  })
  dimensions: Record<string, string | null>;
  @Field(() => DecimalScalar, { description: "Purser's priced usage." }) estimated: string;
  @Field(() => DecimalScalar, { description: "The provider's token cost lines." }) billed: string;
  @Field(() => DecimalScalar, { description: 'estimated − billed.' }) delta: string;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'delta ÷ billed × 100 (6 decimals); null when billed is 0.',
  })
  deltaPercent: string | null;
  @Field(() => ReconciliationStatus) status: ReconciliationStatus;
  @Field(() => [String], {
    description:
      'For a row that does not match, what Purser can tell: unpriced_usage, hours_without_usage, model_never_seen, price_differs, cache_priced_wrong.',
  })
  likelyCauses: string[];
}

@ObjectType({ description: "A provider's charge that is not for tokens (web search…)." })
export class NonTokenCharge {
  @Field(() => String) day: string;
  @Field(() => String) costType: string;
  @Field(() => String) lineItem: string;
  @Field(() => String, { nullable: true }) project: string | null;
  @Field(() => DecimalScalar) amount: string;
}

@ObjectType()
export class ReconciliationReport {
  @Field(() => [ReconciliationRow]) rows: ReconciliationRow[];
  @Field(() => DecimalScalar) estimated: string;
  @Field(() => DecimalScalar, { description: 'Token charges billed (non-token ones apart).' })
  billed: string;
  @Field(() => DecimalScalar) delta: string;
  @Field(() => String) currency: string;
  @Field(() => [NonTokenCharge], {
    description: 'Non-token charges (web search, code execution), not in rows nor billed.',
  })
  nonTokenCharges: NonTokenCharge[];
}
