import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../runtime/index.ts';
import { commandConfig, wantsHelp } from './command-line.ts';

describe('commandConfig', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-command-line-'));
  const file = path.join(dir, 'edge.yaml');
  fs.writeFileSync(file, 'dataDir: /from/file\nnuc:\n  httpPort: 9000\n');

  it('takes the file, then the environment, then --data', () => {
    expect(commandConfig({ config: file }, {}).dataDir).toBe('/from/file');
    expect(commandConfig({ config: file }, { EDGE_DATA_DIR: '/from/env' }).dataDir).toBe('/from/env');
    const flagged = commandConfig({ config: file, data: '/from/flag' }, { EDGE_DATA_DIR: '/from/env', EDGE_HTTP_PORT: '9100' });
    expect([flagged.dataDir, flagged.nuc.httpPort, flagged.source]).toEqual(['/from/flag', 9100, file]);
    expect(commandConfig({ data: 'relative' }, {}).dataDir).toBe(path.resolve('relative'));
  });

  it('names the flag, the variable or the file that set a bad value', () => {
    expect(() => commandConfig({ data: '' }, {})).toThrow(/^configuration error in --data: dataDir: /);
    expect(() => commandConfig({}, { EDGE_HTTP_PORT: '70000' })).toThrow(/^configuration error in EDGE_HTTP_PORT: nuc\.httpPort: /);
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'nuc:\n  httpPort: 70000\n');
    expect(() => commandConfig({ config: path.join(dir, 'bad.yaml') }, {})).toThrow(ConfigError);
    expect(() => commandConfig({ config: path.join(dir, 'bad.yaml') }, {})).toThrow(/bad\.yaml: nuc\.httpPort/);
  });

  it('sees a help flag anywhere', () => {
    expect(wantsHelp(['eval', 'm', '-h'])).toBe(true);
    expect(wantsHelp(['--tubs', 'help'])).toBe(false);
  });
});
