// A check for tests of the API package: the BAD_USER_INPUT a validation throws.
import { PurserError } from './errors';

/**
 * The message of the error `run` throws, which must be a BAD_USER_INPUT {@link PurserError};
 * the test fails when `run` throws anything else or nothing.
 */
export function badInputMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PurserError);
    expect((error as PurserError).code).toBe('BAD_USER_INPUT');
    return (error as PurserError).message;
  }
  throw new Error('expected a BAD_USER_INPUT error, nothing was thrown');
}
