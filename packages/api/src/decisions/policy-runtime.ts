import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createPolicyEngine,
  type PolicyEngine,
  readBundle,
  type SwapResult,
  watchBundle,
  type BundleWatcher,
} from '@purser/policy';
import { z } from 'zod';
import type { Logger } from '../observability/logger';

const chainsSchema = z.object({
  purser: z
    .object({
      config: z
        .object({ downgrade_chains: z.array(z.array(z.string())).default([]) })
        .default({ downgrade_chains: [] }),
    })
    .default({ config: { downgrade_chains: [] } }),
});

function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

/**
 * The policy engine of this instance plus what the service reads from the active bundle's
 * data (the default downgrade chains, to price the candidates the policy may pick).
 */
export class PolicyRuntime {
  private watcher?: BundleWatcher;
  private defaultChains: string[][] = [];
  activatedAt = new Date();

  private constructor(
    readonly engine: PolicyEngine,
    private readonly logger: Logger,
  ) {}

  static async load(bundlePath: string, logger: Logger, watch: boolean): Promise<PolicyRuntime> {
    const bundle = await readFile(bundlePath);
    const runtime = new PolicyRuntime(await createPolicyEngine({ bundle }), logger);
    runtime.defaultChains = runtime.readChains(bundle);
    logger.info({ revision: runtime.engine.revision, bundle: bundlePath }, 'policy bundle loaded');
    if (watch) {
      runtime.watcher = watchBundle(bundlePath, runtime.engine, (event) => {
        if (event.type === 'swapped') {
          // The file may have changed again since the swap: only read the data of the bundle
          // that is active, so the chains never belong to another revision.
          readFile(bundlePath).then(
            (buffer) => {
              if (sha256(buffer) === runtime.engine.bundleSha256) {
                runtime.defaultChains = runtime.readChains(buffer);
              }
            },
            () => undefined,
          );
          runtime.activatedAt = new Date();
          logger.info({ revision: event.revision }, 'policy bundle hot-swapped from file');
        } else {
          logger.error(
            { event },
            'policy bundle change rejected; the previous bundle stays active',
          );
        }
      });
    }
    return runtime;
  }

  get revision(): string {
    return this.engine.revision;
  }

  /** Default chains from the active bundle's data.json. */
  get chains(): string[][] {
    return this.defaultChains;
  }

  /** Activates a bundle (tarball bytes) without dropping requests; a bad one changes nothing. */
  async activate(bundle: Buffer): Promise<SwapResult> {
    // Read before swapping, so that no request sees the new policy with the old chains.
    const chains = this.readChains(bundle);
    const result = await this.engine.swap(bundle);
    if (result.ok) {
      this.defaultChains = chains;
      this.activatedAt = new Date();
      this.logger.info(
        { revision: result.revision, previous: result.previousRevision },
        'policy bundle activated',
      );
    }
    return result;
  }

  private readChains(bundle: Buffer): string[][] {
    try {
      const parsed = chainsSchema.safeParse(JSON.parse(readBundle(bundle).data.toString('utf8')));
      return parsed.success ? parsed.data.purser.config.downgrade_chains : [];
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read the downgrade chains of the policy data');
      return [];
    }
  }

  close(): void {
    this.watcher?.close();
  }
}
