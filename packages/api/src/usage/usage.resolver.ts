import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission, holdKeyOf } from '../auth/api-key.service';
import type { GraphQLContext } from '../graphql/context';
import type { IngestService } from './ingest.service';
import type { RepriceService } from './reprice.service';
import type { SpendService } from './spend.service';
import type { UsageQueryService } from './usage-query.service';
import { JSONObjectScalar } from '../graphql/scalars';
import { summarize } from './ingest-summary';
import { checkIngestBatch } from './usage.routes';
import {
  DeadLetterConnection,
  IngestItemResult,
  IngestResult,
  RepriceResult,
  SpendDimension,
  SpendFilter,
  SpendReport,
  UnpricedModel,
  UsageEventConnection,
  UsageEventFilter,
} from './usage.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{
  ingest: IngestService;
  reprice: RepriceService;
  spend: SpendService;
  usageQueries: UsageQueryService;
}>;

@Resolver()
export class UsageResolver {
  @Mutation(() => IngestResult, {
    description: 'Ingests usage events in the wire shape (snake_case), as POST /v1/usage does.',
  })
  async ingestUsage(
    @Arg('events', () => [JSONObjectScalar]) events: Record<string, unknown>[],
    @Ctx() context: Context,
  ): Promise<IngestResult> {
    const principal = assertPermission(context.principal, 'usage.ingest');
    checkIngestBatch(events.length, 'events');
    const outcomes = await context.services.ingest.ingest(
      events.map((event) => ({
        body: event,
        subject: 'graphql',
        senderKeyId: holdKeyOf(principal),
      })),
      'graphql',
    );
    return summarize(outcomes);
  }

  @Query(() => SpendReport)
  async spend(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
    @Arg('groupBy', () => [SpendDimension], { nullable: true }) groupBy?: SpendDimension[],
    @Arg('filter', () => SpendFilter, { nullable: true }) filter?: SpendFilter,
    @Arg('currency', () => String, {
      nullable: true,
      defaultValue: 'USD',
      description: 'Only spend in this currency (no FX conversion); null: USD.',
    })
    currency?: string | null,
  ): Promise<SpendReport> {
    assertPermission(context.principal, 'usage.read');
    const report = await context.services.spend.report({
      from,
      to,
      groupBy: groupBy ?? [],
      filter: { ...(filter ?? {}) },
      currency: (currency ?? 'USD').toUpperCase(),
    });
    return { ...report, rows: report.rows.map((row) => ({ ...row, currency: report.currency })) };
  }

  @Query(() => UsageEventConnection, { description: 'Raw usage events, newest first.' })
  async usageEvents(
    @Ctx() context: Context,
    @Arg('filter', () => UsageEventFilter, { nullable: true }) filter?: UsageEventFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    assertPermission(context.principal, 'usage.read');
    return context.services.usageQueries.events(filter ?? {}, first, after);
  }

  @Query(() => DeadLetterConnection, {
    description: 'Events that could not be ingested, newest first, with their reason.',
  })
  async deadLetters(
    @Ctx() context: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    assertPermission(context.principal, 'usage.read');
    return context.services.usageQueries.deadLetters(first, after);
  }

  @Mutation(() => IngestItemResult, {
    description: 'Ingests a dead letter again, as stored or with a corrected payload.',
  })
  async replayDeadLetter(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
    @Arg('payload', () => JSONObjectScalar, { nullable: true }) payload?: Record<string, unknown>,
  ): Promise<IngestItemResult> {
    assertPermission(context.principal, 'deadLetters.replay');
    return context.services.usageQueries.replay(id, payload ?? undefined);
  }

  @Query(() => [UnpricedModel], {
    description: 'Models seen without a price in the range, with counts.',
  })
  async unpricedUsage(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
  ) {
    assertPermission(context.principal, 'usage.read');
    return context.services.usageQueries.unpriced(from, to);
  }

  @Mutation(() => RepriceResult, {
    description: 'Recomputes stored costs in the range with the current prices.',
  })
  async reprice(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
    @Arg('provider', () => String, { nullable: true }) provider?: string,
    @Arg('model', () => String, { nullable: true }) model?: string,
  ): Promise<RepriceResult> {
    assertPermission(context.principal, 'usage.reprice');
    return context.services.reprice.reprice({
      from,
      to,
      provider: provider ?? undefined,
      model: model ?? undefined,
    });
  }
}
