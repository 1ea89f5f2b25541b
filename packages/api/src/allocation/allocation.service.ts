import type { DataSource } from 'typeorm';
import { AllocationPeriodService } from './allocation-periods.service';
import { AllocationRuleService } from './allocation-rules.service';
import type {
  ActorValue,
  AllocationApi,
  AllocationRuleInputValue,
  AllocationRuleVersionValue,
  ChargebackLineValue,
  ChargebackOptions,
  ChargebackReportValue,
  CostCenterInputValue,
  CostCenterNodeValue,
  CostCenterPatchValue,
  CostCenterValue,
  PeriodValue,
} from './allocation-types';
import { validateCode } from './allocation-validate';
import { ChargebackService } from './chargeback.service';
import { CostCenterService } from './cost-centers.service';

/**
 * Allocation and chargeback (ARCHITECTURE.md): cost centers, effective-dated rules, the
 * chargeback with its preview and drill-down, and closed periods. One entry for the resolver,
 * the exports and the rules-as-code CLI; the work is in the services it holds.
 */
export class AllocationService implements AllocationApi {
  readonly costCenters: CostCenterService;
  readonly rules: AllocationRuleService;
  readonly chargebacks: ChargebackService;
  readonly periodService: AllocationPeriodService;

  constructor(dataSource: DataSource, clock: () => Date = () => new Date()) {
    this.costCenters = new CostCenterService(dataSource);
    this.rules = new AllocationRuleService(dataSource, clock);
    this.chargebacks = new ChargebackService(dataSource, this.rules, this.costCenters);
    this.periodService = new AllocationPeriodService(dataSource, this.chargebacks, clock);
  }

  createCostCenter(input: CostCenterInputValue): Promise<CostCenterValue> {
    return this.costCenters.create(input);
  }

  updateCostCenter(code: string, patch: CostCenterPatchValue): Promise<CostCenterValue> {
    return this.costCenters.update(code, patch);
  }

  deactivateCostCenter(code: string): Promise<CostCenterValue> {
    return this.costCenters.deactivate(code);
  }

  listCostCenters(options?: { includeInactive?: boolean }): Promise<CostCenterValue[]> {
    return this.costCenters.list(options);
  }

  costCenterTree(options?: { includeInactive?: boolean }): Promise<CostCenterNodeValue[]> {
    return this.costCenters.tree(options);
  }

  createRule(
    input: AllocationRuleInputValue,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue> {
    return this.rules.create(input, actor);
  }

  updateRule(
    id: string,
    input: AllocationRuleInputValue,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue> {
    return this.rules.update(id, input, actor);
  }

  deleteRule(
    id: string,
    effectiveFrom?: Date | null,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue> {
    return this.rules.delete(id, effectiveFrom, actor);
  }

  rulesAt(at?: Date): Promise<AllocationRuleVersionValue[]> {
    return this.rules.at(at);
  }

  ruleHistory(id: string): Promise<AllocationRuleVersionValue[]> {
    return this.rules.history(id);
  }

  chargeback(options: ChargebackOptions): Promise<ChargebackReportValue> {
    return this.chargebacks.report(options);
  }

  chargebackDetail(
    costCenter: string,
    options: Omit<ChargebackOptions, 'rollUp'>,
  ): Promise<ChargebackLineValue[]> {
    return this.chargebacks.lines(options, validateCode(costCenter, 'costCenter'));
  }

  chargebackLines(options: Omit<ChargebackOptions, 'rollUp'>): Promise<ChargebackLineValue[]> {
    return this.chargebacks.lines(options);
  }

  previewAllocation(
    rules: AllocationRuleInputValue[],
    options: ChargebackOptions,
  ): Promise<ChargebackReportValue> {
    return this.chargebacks.preview(rules, options);
  }

  closePeriod(month: string, actor?: ActorValue): Promise<PeriodValue> {
    return this.periodService.close(month, actor);
  }

  reopenPeriod(month: string, reason: string, actor?: ActorValue): Promise<PeriodValue> {
    return this.periodService.reopen(month, reason, actor);
  }

  periods(): Promise<PeriodValue[]> {
    return this.periodService.list();
  }
}
