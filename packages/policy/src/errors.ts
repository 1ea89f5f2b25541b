import { CodedError, type CodedErrorOptions, isCodedError } from '@purser/pricing';

/**
 * Stable machine-readable codes of {@link PolicyError}. Callers branch on the code, never on
 * the message, so a code is never renamed once published.
 */
export type PolicyErrorCode =
  /** The bundle cannot be read: missing file, not gzip, not a tarball, missing member. */
  | 'POLICY_BUNDLE_UNREADABLE'
  /** The bundle was read but is not a usable Purser bundle (manifest, entrypoint, wasm). */
  | 'POLICY_BUNDLE_INVALID'
  /** The decision input does not match the decision input schema. */
  | 'POLICY_INPUT_INVALID'
  /** The wasm evaluation threw (abort, out of memory, missing builtin). */
  | 'POLICY_EVALUATION_FAILED'
  /** The policy produced no decision (the entrypoint was undefined for this input). */
  | 'POLICY_DECISION_UNDEFINED'
  /** The policy produced a decision that does not match the decision output schema. */
  | 'POLICY_DECISION_INVALID';

/**
 * Constructor parameters of {@link PolicyError}; its details never carry the input (it may
 * carry customer data).
 */
export type PolicyErrorOptions = CodedErrorOptions<PolicyErrorCode>;

/**
 * The one base error of `@purser/policy`. Nothing here is retryable: the same bundle and the
 * same input fail the same way.
 */
export class PolicyError extends CodedError<PolicyErrorCode> {
  constructor(options: PolicyErrorOptions) {
    super('PolicyError', options);
  }

  /** Type guard that also works across duplicated module instances (checks the name). */
  static isInstance(value: unknown): value is PolicyError {
    return value instanceof PolicyError || isCodedError(value, 'PolicyError');
  }
}

/** opa-wasm throws strings and plain objects; give every failure a message and a stack. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown));
  } catch {
    return new Error(String(thrown));
  }
}
