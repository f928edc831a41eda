/**
 * Vitest's order, with one change: the files that wait longest for something built in the background
 * run last. `.ci/run` starts both car images' builds as the suite starts; arm64's (its packages'
 * scripts run under qemu-user) is the longest part of the whole run, so every other file, the x86_64
 * image test included, runs while it finishes.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Files that wait on a background build, in the order they should end the run. */
export const RUN_LAST: readonly string[] = ['test/hil/image-arm64.test.ts'];

export function withLastFiles<T>(files: readonly T[], pathOf: (file: T) => string): T[] {
  const rank = (file: T): number => RUN_LAST.findIndex((last) => pathOf(file).endsWith(last));
  return [...files.filter((file) => rank(file) < 0), ...files.filter((file) => rank(file) >= 0).sort((a, b) => rank(a) - rank(b))];
}

export class LongBuildsLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return withLastFiles(await super.sort(files), (file) => file.moduleId);
  }
}
