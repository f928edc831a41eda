import { describe, expect, it } from 'vitest';
import { withLastFiles } from './sequencer.ts';

describe("the suite's order", () => {
  it('runs the arm64 image test after every other file, keeping the others in their order', () => {
    const files = ['/repo/test/hil/image-arm64.test.ts', '/repo/test/hil/timing.test.ts', '/repo/test/hil/image-x86_64.test.ts', '/repo/image/cache.test.ts'];
    expect(withLastFiles(files, (f) => f)).toEqual(['/repo/test/hil/timing.test.ts', '/repo/test/hil/image-x86_64.test.ts', '/repo/image/cache.test.ts', '/repo/test/hil/image-arm64.test.ts']);
  });
});
