import fs from 'node:fs/promises';
import { PurserError } from '../errors';
import { planAllocation, type AllocationPlan, type PlanStep } from './allocation-plan';
import { planCounts, planText, stepText } from './allocation-plan-text';
import type { ActorValue, AllocationApi } from './allocation-types';
import { MAX_ALLOCATION_FILE_BYTES, parseAllocationYaml } from './allocation-yaml';
import { allocationFileOf, renderAllocationYaml } from './allocation-yaml-export';

/** What the rules-as-code commands use of the allocation service. */
export type AllocationCommandApi = Pick<
  AllocationApi,
  | 'listCostCenters'
  | 'rulesAt'
  | 'createCostCenter'
  | 'updateCostCenter'
  | 'deactivateCostCenter'
  | 'createRule'
  | 'updateRule'
  | 'deleteRule'
>;

export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Exit codes (sysexits): invalid input 65, a file that cannot be read or written 66/73. */
export const EXIT = { ok: 0, dataError: 65, noInput: 66, cannotCreate: 73, failed: 1 } as const;

/** Who the CLI's changes are recorded as (rule versions' `recordedBy` stays null). */
const CLI_ACTOR: ActorValue = { keyId: null, name: 'purser allocation apply', role: 'admin' };

/** What the commands take besides the file. */
export interface AllocationCommandOptions {
  /**
   * When rule changes take effect (a whole UTC hour), and the instant whose rules in force
   * export writes and plan compares with. Default: the service's (the current hour), now.
   */
  effectiveFrom?: Date;
}

const WHOLE_HOUR = /^\d{4}-\d{2}-\d{2}T\d{2}:00(:00(\.0+)?)?Z$/;

/**
 * `export|plan|apply FILE [--effective-from 2026-12-01T00:00:00Z]`: the command, or the
 * problem with the arguments (the CLI answers it with the usage, exit 64).
 */
export function parseAllocationArguments(
  args: readonly string[],
):
  | { command: 'export' | 'plan' | 'apply'; file: string; options: AllocationCommandOptions }
  | { problem: string } {
  const [command, file, flag, value, ...rest] = args;
  if (command !== 'export' && command !== 'plan' && command !== 'apply') {
    return { problem: `Unknown command: allocation ${args.join(' ')}` };
  }
  if (file === undefined || file.startsWith('--')) {
    return { problem: `allocation ${command}: FILE is required` };
  }
  if (flag === undefined) return { command, file, options: {} };
  const at = new Date(value ?? '');
  if (flag !== '--effective-from' || rest.length > 0) {
    return { problem: `allocation ${command}: unexpected ${[flag, value, ...rest].join(' ')}` };
  }
  if (!WHOLE_HOUR.test(value ?? '') || Number.isNaN(at.getTime())) {
    return {
      problem: `--effective-from: must be a whole UTC hour such as 2026-12-01T00:00:00Z (got ${JSON.stringify(value ?? '')})`,
    };
  }
  return { command, file, options: { effectiveFrom: at } };
}

async function storedState(api: AllocationCommandApi, options: AllocationCommandOptions) {
  const [costCenters, rules] = await Promise.all([
    api.listCostCenters({ includeInactive: true }),
    api.rulesAt(options.effectiveFrom),
  ]);
  return { costCenters, rules };
}

/** Reads the file, refusing one over the size limit before reading it. */
async function readBounded(file: string): Promise<{ text: string } | { problem: string }> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return { problem: `${file}: not a regular file` };
      if (stat.size > MAX_ALLOCATION_FILE_BYTES) {
        return { problem: `file: larger than the limit of ${MAX_ALLOCATION_FILE_BYTES} bytes` };
      }
      // The size may change between stat and read: never read past the limit either way.
      const buffer = Buffer.alloc(MAX_ALLOCATION_FILE_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_ALLOCATION_FILE_BYTES) {
        return { problem: `file: larger than the limit of ${MAX_ALLOCATION_FILE_BYTES} bytes` };
      }
      return { text: buffer.subarray(0, bytesRead).toString('utf8') };
    } finally {
      await handle.close();
    }
  } catch (error) {
    return {
      problem: `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`,
    };
  }
}

/** Runs one step through the service: the same validation as the API. */
async function applyStep(
  api: AllocationCommandApi,
  step: PlanStep,
  options: AllocationCommandOptions,
): Promise<void> {
  const effectiveFrom = options.effectiveFrom ?? null;
  switch (step.kind) {
    case 'createCostCenter':
      await api.createCostCenter(step.input);
      return;
    case 'updateCostCenter':
      await api.updateCostCenter(step.code, step.patch);
      return;
    case 'deactivateCostCenter':
      await api.deactivateCostCenter(step.code);
      return;
    case 'createRule':
      await api.createRule({ ...step.input, effectiveFrom }, CLI_ACTOR);
      return;
    case 'updateRule':
      await api.updateRule(step.id, { ...step.input, effectiveFrom }, CLI_ACTOR);
      return;
    case 'deleteRule':
      await api.deleteRule(step.id, effectiveFrom, CLI_ACTOR);
  }
}

/** Reads and plans `file` against the store; prints the problems and answers the exit code if any. */
async function planFile(
  api: AllocationCommandApi,
  file: string,
  output: CommandOutput,
  options: AllocationCommandOptions,
): Promise<{ plan: AllocationPlan } | { exit: number }> {
  const read = await readBounded(file);
  if ('problem' in read) {
    output.err(`${read.problem}\n`);
    return { exit: read.problem.startsWith('file:') ? EXIT.dataError : EXIT.noInput };
  }
  const parsed = parseAllocationYaml(read.text);
  if (!parsed.ok) {
    output.err(
      `${file} is not a valid allocation file:\n${parsed.problems.map((problem) => `  ${problem}`).join('\n')}\n`,
    );
    return { exit: EXIT.dataError };
  }
  const plan = planAllocation(parsed.file, await storedState(api, options));
  if (plan.problems.length > 0) {
    output.err(planText(plan));
    return { exit: EXIT.dataError };
  }
  return { plan };
}

/**
 * `purser allocation export|plan|apply FILE` (FILE `-` is stdout for export).
 * - export writes the stored allocation (active cost centers, rules in force now) as a file
 *   that plans no change;
 * - plan prints the steps apply would take, exit 0 (65 when the file is invalid);
 * - apply takes them one by one through the service, so the API's validation applies. It is
 *   not one transaction (the service has none across calls): a refused step stops it, the
 *   steps before it stay applied, and the message says which; fixing the file and applying
 *   again finishes the job (a plan from any state converges to the file).
 * New rule versions take effect at the start of the current UTC hour (the service default),
 * or at `options.effectiveFrom`, and the file is then compared with the rules in force then.
 */
export async function runAllocationCommand(
  command: 'export' | 'plan' | 'apply',
  file: string,
  api: AllocationCommandApi,
  output: CommandOutput,
  options: AllocationCommandOptions = {},
): Promise<number> {
  if (command === 'export') {
    const state = await storedState(api, options);
    const text = renderAllocationYaml(allocationFileOf(state.costCenters, state.rules));
    if (file === '-') {
      output.out(text);
      return EXIT.ok;
    }
    try {
      await fs.writeFile(file, text, 'utf8');
    } catch (error) {
      output.err(
        `${file}: cannot be written (${(error as NodeJS.ErrnoException).code ?? error})\n`,
      );
      return EXIT.cannotCreate;
    }
    const active = state.costCenters.filter((costCenter) => costCenter.active).length;
    output.out(`exported ${active} cost centers and ${state.rules.length} rules to ${file}\n`);
    return EXIT.ok;
  }
  const planned = await planFile(api, file, output, options);
  if ('exit' in planned) return planned.exit;
  const { plan } = planned;
  if (options.effectiveFrom && plan.steps.length > 0) {
    output.out(`Rule changes take effect at ${options.effectiveFrom.toISOString()}.\n`);
  }
  output.out(planText(plan));
  if (command === 'plan' || plan.steps.length === 0) return EXIT.ok;
  for (const [index, step] of plan.steps.entries()) {
    try {
      await applyStep(api, step, options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      output.err(
        `apply stopped at step ${index + 1} of ${plan.steps.length} (${stepText(step)}): ${message}\n` +
          `${index} step(s) before it were applied; run plan again to see what remains.\n`,
      );
      return error instanceof PurserError && error.code !== 'UNAVAILABLE'
        ? EXIT.dataError
        : EXIT.failed;
    }
  }
  const counts = planCounts(plan);
  output.out(
    `Applied: cost centers ${counts.costCenters.create} created, ${counts.costCenters.update} updated, ${counts.costCenters.deactivate} deactivated; ` +
      `rules ${counts.rules.create} created, ${counts.rules.update} updated, ${counts.rules.delete} deleted.\n`,
  );
  return EXIT.ok;
}
