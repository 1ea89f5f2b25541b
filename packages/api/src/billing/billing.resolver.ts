import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import { badInput } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import { DecimalScalar } from '../graphql/scalars';
import type { BillingSourceService } from './billing-source.service';
import { MAX_FOCUS_CSV_CHARS, type BillingSyncService } from './billing-sync.service';
import {
  BillingSource,
  BillingSourceInput,
  BillingSync,
  ReconciliationDimension,
  ReconciliationReport,
} from './billing.types';
import type { ReconciliationService } from './reconciliation.service';

/** The services this resolver calls. */
type Context = GraphQLContext<{
  billingSources: BillingSourceService;
  billingSync: BillingSyncService;
  reconciliation: ReconciliationService;
}>;

const MAX_ID = 100;

function checkId(id: string, field: string): string {
  if (id.length === 0 || id.length > MAX_ID) throw badInput(`${field}: 1 to ${MAX_ID} characters`);
  return id;
}

@Resolver()
export class BillingResolver {
  @Query(() => [BillingSource], { description: 'Configured billing sources (admin).' })
  billingSources(@Ctx() context: Context): Promise<BillingSource[]> {
    assertPermission(context.principal, 'billing.manage');
    return context.services.billingSources.list();
  }

  @Mutation(() => BillingSource, {
    description: 'Adds a billing source; its apiKey is encrypted with PURSER_SECRET_KEY.',
  })
  createBillingSource(
    @Arg('input', () => BillingSourceInput) input: BillingSourceInput,
    @Ctx() context: Context,
  ): Promise<BillingSource> {
    assertPermission(context.principal, 'billing.manage');
    return context.services.billingSources.create(input);
  }

  @Mutation(() => BillingSource, {
    description:
      'Updates a billing source (provider fixed; apiKey absent keeps it, unless baseUrl changes; "" removes it).',
  })
  updateBillingSource(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => BillingSourceInput) input: BillingSourceInput,
    @Ctx() context: Context,
  ): Promise<BillingSource> {
    assertPermission(context.principal, 'billing.manage');
    return context.services.billingSources.update(checkId(id, 'id'), input);
  }

  @Mutation(() => Boolean, { description: 'Deletes a billing source and its cost lines.' })
  deleteBillingSource(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    assertPermission(context.principal, 'billing.manage');
    return context.services.billingSources.delete(checkId(id, 'id'));
  }

  @Mutation(() => BillingSync, {
    description: "Pulls the source's cost lines for [from, to) from its provider, idempotently.",
  })
  syncBillingSource(
    @Arg('id', () => ID) id: string,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
  ): Promise<BillingSync> {
    assertPermission(context.principal, 'billing.manage');
    return context.services.billingSync.sync(checkId(id, 'id'), from, to);
  }

  @Mutation(() => BillingSync, {
    description: `Imports a FOCUS CSV (1.0 to 1.3) into a focus source; at most ${MAX_FOCUS_CSV_CHARS} characters.`,
  })
  importFocusFile(
    @Arg('sourceId', () => ID) sourceId: string,
    @Arg('csv', () => String) csv: string,
    @Ctx() context: Context,
  ): Promise<BillingSync> {
    assertPermission(context.principal, 'billing.manage');
    return context.services.billingSync.importFocus(checkId(sourceId, 'sourceId'), csv);
  }

  @Query(() => ReconciliationReport, {
    description:
      "Purser's priced usage against the provider's bill per UTC day × model (× project, × token type); the range is widened to whole UTC days.",
  })
  reconciliation(
    @Arg('provider', () => String) provider: string,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
    @Arg('groupBy', () => [ReconciliationDimension], { nullable: true })
    groupBy?: ReconciliationDimension[] | null,
    @Arg('tolerancePercent', () => DecimalScalar, {
      nullable: true,
      description: 'MATCHED when |delta| ≤ this % of billed (default 1).',
    })
    tolerancePercent?: string | null,
  ): Promise<ReconciliationReport> {
    assertPermission(context.principal, 'reconciliation.read');
    // ReconciliationStatus's values are the status strings the service answers.
    return context.services.reconciliation.report({
      provider,
      from,
      to,
      groupBy: groupBy ?? null,
      tolerancePercent: tolerancePercent ?? null,
    }) as Promise<unknown> as Promise<ReconciliationReport>;
  }
}
