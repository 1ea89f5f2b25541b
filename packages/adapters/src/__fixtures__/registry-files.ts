/** The registry tests' look at the source files a registry should list. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Whether `value` is a version-1 registry entry whose `method` is a function. */
export function isV1Entry<Entry>(value: unknown, method: keyof Entry & string): value is Entry {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { specificationVersion?: unknown }).specificationVersion === 'v1' &&
    typeof (value as Record<string, unknown>)[method] === 'function'
  );
}

/**
 * Each source file of `directory` named as `pattern` says (its tests aside), with the
 * exported values of it that `isEntry` recognises, so that a test can check every such file
 * exports one entry and the registry lists it.
 */
export function entriesByFile<Entry>(
  directory: string,
  pattern: RegExp,
  isEntry: (value: unknown) => value is Entry,
): { file: string; entries: Entry[] }[] {
  return readdirSync(directory)
    .filter((file) => pattern.test(file) && !file.endsWith('.test.ts'))
    .map((file) => ({
      file,
      entries: Object.values(require(join(directory, file)) as Record<string, unknown>).filter(
        isEntry,
      ),
    }));
}
