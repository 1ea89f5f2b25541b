/**
 * The reports benchmark's allocation set-up: a cost-center tree (org → 4 business units →
 * 20 teams, and 5 shared centers) and 50 rules over the generated usage, through the
 * allocation service — every method, tag matching and effective-dated versions inside the
 * month, as a FinOps team would have them.
 */
import {
  CUSTOMERS,
  FEATURES,
  MONTH_START,
  TAG,
  TEAMS,
  customerName,
  featureName,
  teamName,
} from './reports-data';

type Method = 'DIRECT' | 'FIXED' | 'EVEN' | 'PROPORTIONAL';

/** A rule as the allocation service takes it. */
export interface BenchRule {
  name: string;
  priority: number;
  match: Record<string, unknown>;
  method: Method;
  targets: { costCenter: string; weight?: string }[];
  effectiveFrom: Date;
}

/** What the bench uses of the allocation service (`AllocationApi` in the api package). */
export interface BenchAllocation {
  createCostCenter(input: {
    code: string;
    name: string;
    parentCode?: string | null;
    glAccount?: string | null;
    owner?: string | null;
  }): Promise<unknown>;
  createRule(input: BenchRule): Promise<{ id: string }>;
  updateRule(id: string, input: BenchRule): Promise<unknown>;
  chargeback(options: { from: Date; to: Date; currency?: string }): Promise<{
    rows: { costCenter: string; total: string; rolledUp?: boolean }[];
    unallocated: string;
    total: string;
    adjustmentsTotal?: string;
  }>;
}

const teamCenter = (team: number) => `CC-TEAM-${String(team).padStart(2, '0')}`;
const SHARED = ['CC-PLATFORM', 'CC-EVALS', 'CC-DATA', 'CC-SECURITY', 'CC-RESEARCH'];

/** Rules in force from before the month (a whole UTC hour, as versions must be). */
const SINCE = new Date(MONTH_START.getTime() - 31 * 86_400_000);
/** Five rules get a second version from the middle of the month. */
const MID_MONTH = new Date(MONTH_START.getTime() + 15 * 86_400_000);

/** The 50 rules, most specific first (lowest priority wins). */
export function benchRules(): BenchRule[] {
  const rules: BenchRule[] = [];
  let priority = 10;
  const add = (rule: Omit<BenchRule, 'priority' | 'effectiveFrom'>) => {
    rules.push({ ...rule, priority, effectiveFrom: SINCE });
    priority += 10;
  };
  // 2 tag rules: the shared evaluation pool, wherever it runs.
  add({
    name: 'shared evals (production)',
    match: { environment: 'production', tags: { [TAG.key]: TAG.value } },
    method: 'DIRECT',
    targets: [{ costCenter: 'CC-EVALS' }],
  });
  add({
    name: 'shared evals (elsewhere)',
    match: { tags: { [TAG.key]: TAG.value } },
    method: 'EVEN',
    targets: [{ costCenter: 'CC-EVALS' }, { costCenter: 'CC-RESEARCH' }],
  });
  // 10 FIXED: a team's feature shared 60/40 with the next team.
  for (let team = 0; team < 10; team += 1) {
    add({
      name: `fixed ${teamName(team)} ${featureName(team % FEATURES)}`,
      match: { team: teamName(team), feature: featureName(team % FEATURES) },
      method: 'FIXED',
      targets: [
        { costCenter: teamCenter(team), weight: '60' },
        { costCenter: teamCenter((team + 1) % TEAMS), weight: '40' },
      ],
    });
  }
  // 5 PROPORTIONAL: a customer's usage in staging, by the teams' direct cost.
  for (let customer = 0; customer < 5; customer += 1) {
    add({
      name: `proportional ${customerName(customer)} staging`,
      match: { customer: customerName(customer), environment: 'staging' },
      method: 'PROPORTIONAL',
      targets: [0, 1, 2].map((offset) => ({ costCenter: teamCenter(customer * 3 + offset) })),
    });
  }
  // 5 EVEN: a model across the shared centers.
  for (const [index, model] of [
    'gemini-2.0-flash',
    'claude-haiku-3.5',
    'gpt-4o-mini',
    'claude-sonnet-4',
    'gpt-4o',
  ].entries()) {
    add({
      name: `even ${model} ${customerName(CUSTOMERS - 1 - index)}`,
      match: { model, customer: customerName(CUSTOMERS - 1 - index) },
      method: 'EVEN',
      targets: [
        { costCenter: SHARED[index % SHARED.length]! },
        { costCenter: SHARED[(index + 1) % SHARED.length]! },
        { costCenter: SHARED[(index + 2) % SHARED.length]! },
      ],
    });
  }
  // 9 FIXED by feature for what the team rules below leave (team-19 has none).
  for (let feature = 0; feature < 9; feature += 1) {
    add({
      name: `fixed platform ${featureName(feature)} ${teamName(19)}`,
      match: { team: teamName(19), feature: featureName(feature) },
      method: 'FIXED',
      targets: [
        { costCenter: 'CC-PLATFORM', weight: '33.33' },
        { costCenter: 'CC-DATA', weight: '33.33' },
        { costCenter: 'CC-SECURITY', weight: '33.34' },
      ],
    });
  }
  // 19 DIRECT: each team to its own center; team-19's feature-9 stays unallocated.
  for (let team = 0; team < TEAMS - 1; team += 1) {
    add({
      name: `direct ${teamName(team)}`,
      match: { team: teamName(team) },
      method: 'DIRECT',
      targets: [{ costCenter: teamCenter(team) }],
    });
  }
  if (rules.length !== 50) throw new Error(`${rules.length} rules, not 50`);
  return rules;
}

/**
 * Creates the cost centers and the 50 rules, then a second version of five of them from the
 * middle of the month (the chargeback splits the month at that hour). Answers the number of
 * cost centers and rule versions.
 */
export async function createAllocation(
  allocation: BenchAllocation,
): Promise<{ costCenters: number; rules: number; versions: number }> {
  const centers: Parameters<BenchAllocation['createCostCenter']>[0][] = [
    { code: 'CC-ORG', name: 'Organization', glAccount: '6000' },
    ...[0, 1, 2, 3].map((unit) => ({
      code: `CC-BU-${unit}`,
      name: `Business unit ${unit}`,
      parentCode: 'CC-ORG',
      glAccount: `61${unit}0`,
    })),
    ...Array.from({ length: TEAMS }, (_, team) => ({
      code: teamCenter(team),
      name: `Team ${team}`,
      parentCode: `CC-BU-${team % 4}`,
      glAccount: `62${String(team).padStart(2, '0')}`,
      owner: `${teamName(team)}@example.com`,
    })),
    ...SHARED.map((code, index) => ({
      code,
      name: code.slice(3).toLowerCase(),
      parentCode: 'CC-ORG',
      glAccount: `63${index}0`,
    })),
  ];
  for (const center of centers) await allocation.createCostCenter(center);
  const rules = benchRules();
  const ids: string[] = [];
  for (const rule of rules) ids.push((await allocation.createRule(rule)).id);
  // FIXED team rules 0–4 change their split on the 16th.
  for (let index = 2; index < 7; index += 1) {
    const rule = rules[index]!;
    await allocation.updateRule(ids[index]!, {
      ...rule,
      effectiveFrom: MID_MONTH,
      targets: rule.targets.map((target, position) => ({
        ...target,
        weight: position === 0 ? '75' : '25',
      })),
    });
  }
  return { costCenters: centers.length, rules: rules.length, versions: rules.length + 5 };
}
