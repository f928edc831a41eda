import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rauc } from './rauc.ts';
import { RAUC_18 } from './rauc-fixtures.ts';

describe('Rauc', () => {
  function fakeCli(script: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rauc-cli-'));
    const file = path.join(dir, 'rauc');
    fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return file;
  }

  it('runs the status and mark commands and names the command and stderr when they fail', async () => {
    const cli = fakeCli(`echo "$@" >> "$(dirname "$0")/calls"\nif [ "$1" = status ] && [ "$2" = --detailed ]; then cat <<'EOF'\n${JSON.stringify(RAUC_18)}\nEOF\nexit 0; fi\nif [ "$1" = install ]; then echo "Compatible mismatch" >&2; exit 1; fi\nexit 0`);
    const rauc = new Rauc({ cli });
    expect((await rauc.status()).booted).toBe('A');
    await rauc.markGood();
    await rauc.markBad();
    await expect(rauc.install('/tmp/x.raucb')).rejects.toThrow(`${cli} install /tmp/x.raucb: failed (1): Compatible mismatch`);
    expect(fs.readFileSync(path.join(path.dirname(cli), 'calls'), 'utf8').trim().split('\n')).toEqual([
      'status --detailed --output-format=json',
      'status mark-good booted',
      'status mark-bad booted',
      'install /tmp/x.raucb',
    ]);
  });

  it('bounds time and reports a missing tool', async () => {
    await expect(new Rauc({ cli: fakeCli('sleep 5'), timeoutMs: 200 }).markGood()).rejects.toThrow(/timed out after 200 ms/);
    await expect(new Rauc({ cli: '/nonexistent/rauc' }).status()).rejects.toThrow('/nonexistent/rauc status --detailed --output-format=json: not found');
  });
});
