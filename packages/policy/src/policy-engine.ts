import { readFileSync } from 'node:fs';

import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';

import { DECISION_ENTRYPOINT, readBundle } from './bundle';
import { decisionInputSchema, type DecisionInput } from './decision-input';
import { policyDecisionSchema, type PolicyDecision } from './decision-output';
import { PolicyError, toError } from './errors';
import { fastDecisionInputJson, fastPolicyDecision } from './fast-decision';
import { toPolicyJson } from './policy-json';

/** A host implementation of a builtin the wasm does not implement natively. */
export type CustomBuiltin = (...args: unknown[]) => unknown;

/** Options of {@link createPolicyEngine}. */
export interface PolicyEngineOptions {
  /** The bundle tarball, or the path of one. */
  bundle: Buffer | string;
  /**
   * Wasm memory in 64 KiB pages. The default grows without bound; a `maximum` turns an
   * oversized input into an evaluation error instead of unbounded memory.
   */
  memory?: { initial: number; maximum?: number };
  /**
   * Builtins the policy calls that the wasm runtime lacks. Purser's policies compile
   * against `policies/capabilities.json`, which admits native builtins only, so none are
   * needed today; a rule that needs one adds it to the capabilities file and here.
   */
  customBuiltins?: Record<string, CustomBuiltin>;
}

/** The answer of {@link PolicyEngine.evaluate}. A failure is never a silent allow. */
export type EvaluationResult =
  | { ok: true; decision: PolicyDecision; revision: string }
  | { ok: false; error: PolicyError; revision: string };

/** The answer of {@link PolicyEngine.swap}. */
export type SwapResult =
  | { ok: true; revision: string; previousRevision: string }
  | { ok: false; error: PolicyError; revision: string };

/** A loaded policy bundle that can be evaluated and hot-swapped. */
export interface PolicyEngine {
  /**
   * Validates the input and evaluates the decision synchronously on the active bundle.
   * Never throws: every failure is `{ ok: false }`.
   */
  evaluate(input: DecisionInput): EvaluationResult;
  /** Revision of the active bundle (from its `/.manifest`). */
  readonly revision: string;
  /** sha256 of the active bundle tarball. */
  readonly bundleSha256: string;
  /**
   * Loads a new bundle completely (wasm compiled, data set, a probe decision evaluated) and
   * only then makes it active, so in-flight and later evaluations see either the old or the
   * new bundle, never a half-loaded one. A bad bundle leaves the old one active.
   */
  swap(bundle: Buffer | string): Promise<SwapResult>;
}

interface ActivePolicy {
  policy: LoadedPolicy;
  revision: string;
  sha256: string;
}

/** Loads a compiled Purser bundle. Throws a {@link PolicyError} when it is unusable. */
export async function createPolicyEngine(options: PolicyEngineOptions): Promise<PolicyEngine> {
  const load = (bundle: Buffer | string) => loadActivePolicy(bundle, options);
  let active = await load(options.bundle);
  // Swaps run one at a time, in the order they were asked for.
  let swapping: Promise<unknown> = Promise.resolve();

  return {
    evaluate(input) {
      // One synchronous read of the reference: the whole evaluation uses this bundle.
      return evaluateOn(active, input);
    },
    get revision() {
      return active.revision;
    },
    get bundleSha256() {
      return active.sha256;
    },
    swap(bundle) {
      const result = swapping.then(async (): Promise<SwapResult> => {
        const previousRevision = active.revision;
        try {
          active = await load(bundle);
          return { ok: true, revision: active.revision, previousRevision };
        } catch (error) {
          return { ok: false, error: asPolicyError(error), revision: active.revision };
        }
      });
      swapping = result;
      return result;
    },
  };
}

async function loadActivePolicy(
  source: Buffer | string,
  options: PolicyEngineOptions,
): Promise<ActivePolicy> {
  let tarball: Buffer;
  try {
    tarball = typeof source === 'string' ? readFileSync(source) : source;
  } catch (error) {
    throw new PolicyError({
      code: 'POLICY_BUNDLE_UNREADABLE',
      message: `cannot read the policy bundle ${String(source)}: ${toError(error).message}`,
      cause: error,
    });
  }
  const bundle = readBundle(tarball);
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicy(toArrayBuffer(bundle.wasm), options.memory, options.customBuiltins);
    policy.setData(toArrayBuffer(bundle.data));
  } catch (error) {
    throw new PolicyError({
      code: 'POLICY_BUNDLE_INVALID',
      message: `cannot load the policy wasm: ${toError(error).message}`,
      cause: toError(error),
      details: { revision: bundle.revision },
    });
  }
  const entrypoints = (policy.entrypoints ?? {}) as Record<string, number>;
  if (!(DECISION_ENTRYPOINT in entrypoints)) {
    throw new PolicyError({
      code: 'POLICY_BUNDLE_INVALID',
      message: `the policy wasm does not export ${DECISION_ENTRYPOINT}`,
      details: { revision: bundle.revision, entrypoints: Object.keys(entrypoints) },
    });
  }
  const loaded: ActivePolicy = { policy, revision: bundle.revision, sha256: bundle.sha256 };
  // A bundle that cannot answer a plain request must never become active.
  const probe = evaluateOn(loaded, PROBE_INPUT);
  if (!probe.ok) {
    throw new PolicyError({
      code: 'POLICY_BUNDLE_INVALID',
      message: `the policy bundle fails a probe decision: ${probe.error.message}`,
      cause: probe.error,
      details: { revision: bundle.revision },
    });
  }
  return loaded;
}

const encoder = new TextEncoder();

/** The policy JSON of an input: the fast path when it can vouch for it, else the schema's. */
function inputJson(
  input: DecisionInput,
  revision: string,
): { ok: true; json: string } | { ok: false; error: PolicyError } {
  const fast = fastDecisionInputJson(input);
  if (fast !== undefined) return { ok: true, json: fast };
  const parsed = decisionInputSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      error: new PolicyError({
        code: 'POLICY_INPUT_INVALID',
        message: `invalid decision input: ${parsed.error.issues
          .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
          .join('; ')}`,
        cause: parsed.error,
      }),
    };
  }
  try {
    return { ok: true, json: toPolicyJson(parsed.data) };
  } catch (error) {
    return { ok: false, error: evaluationFailed(error, revision) };
  }
}

function evaluationFailed(error: unknown, revision: string): PolicyError {
  return new PolicyError({
    code: 'POLICY_EVALUATION_FAILED',
    message: `policy evaluation failed: ${toError(error).message}`,
    cause: toError(error),
    details: { revision },
  });
}

function evaluateOn(active: ActivePolicy, input: DecisionInput): EvaluationResult {
  const { revision } = active;
  const encoded = inputJson(input, revision);
  if (!encoded.ok) return { ok: false, revision, error: encoded.error };
  let resultSet: unknown;
  try {
    // `encode` answers a view of an ArrayBuffer of its own, exactly the text's length.
    resultSet = active.policy.evaluate(encoder.encode(encoded.json).buffer, DECISION_ENTRYPOINT);
  } catch (error) {
    return { ok: false, revision, error: evaluationFailed(error, revision) };
  }
  const first = Array.isArray(resultSet) ? (resultSet[0] as { result?: unknown }) : undefined;
  if (first === undefined || first.result === undefined) {
    return {
      ok: false,
      revision,
      error: new PolicyError({
        code: 'POLICY_DECISION_UNDEFINED',
        message: `the policy returned no decision for ${DECISION_ENTRYPOINT}`,
        details: { revision },
      }),
    };
  }
  const fast = fastPolicyDecision(first.result);
  if (fast !== undefined) return { ok: true, decision: fast, revision };
  const decision = policyDecisionSchema.safeParse(first.result);
  if (!decision.success) {
    return {
      ok: false,
      revision,
      error: new PolicyError({
        code: 'POLICY_DECISION_INVALID',
        message: `the policy returned an invalid decision: ${decision.error.issues
          .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
          .join('; ')}`,
        cause: decision.error,
        details: { revision },
      }),
    };
  }
  return { ok: true, decision: decision.data, revision };
}

function asPolicyError(error: unknown): PolicyError {
  if (PolicyError.isInstance(error)) return error;
  return new PolicyError({
    code: 'POLICY_BUNDLE_INVALID',
    message: toError(error).message,
    cause: error,
  });
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/** The smallest plausible request: no budgets, no limits. */
const PROBE_INPUT: DecisionInput = {
  request: {
    provider: 'openai',
    model: 'gpt-4o-mini',
    attribution: {},
    estimated_input_tokens: 1,
    max_output_tokens: 1,
    metadata: {},
  },
  principal: { key_id: 'probe', role: 'gateway' },
  estimate: {
    model: 'gpt-4o-mini',
    cost_nanos: 750n,
    input_cost_nanos: 150n,
    cost_per_output_token_nanos: 600n,
  },
  candidates: [],
  budgets: [],
  velocity: [],
  now_ns: 0n,
};
