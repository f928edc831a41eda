import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from './load-config.ts';

function withFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-config-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs the one-machine demo on defaults alone', () => {
    const config = loadConfig({ env: {}, cwd: os.tmpdir() });
    expect(config.nuc.httpPort).toBe(8080);
    expect(config.nuc.busPublishersPort).toBe(5560);
    expect(config.nuc.busSubscribersPort).toBe(5559);
    expect(config.car.actuator.failsafeMs).toBe(250);
    expect(config.car.i2c.bus).toBe('sim');
    expect(config.launcher.cars).toEqual(['1']);
    expect(config.dataDir).toBe(path.join(os.tmpdir(), 'data'));
  });

  it('reads YAML and keeps defaults for what the file leaves out', () => {
    const file = withFile('edge.yaml', 'car:\n  actuator:\n    failsafeMs: 300\n  i2c:\n    bus: 1\n');
    const config = loadConfig({ file, env: {} });
    expect(config.car.actuator.failsafeMs).toBe(300);
    expect(config.car.actuator.frequencyHz).toBe(60);
    expect(config.car.i2c).toEqual({ bus: 1, address: 0x40 });
  });

  it('names the field and the reason for an out-of-range value', () => {
    const file = withFile('edge.yaml', 'car:\n  actuator:\n    failsafeMs: 5\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.field).toBe('car.actuator.failsafeMs');
    expect(error.message).toContain(file);
    expect(error.reason).toMatch(/greater or equal to 20/);
  });

  it('rejects a misspelt field instead of silently using the default', () => {
    const file = withFile('edge.json', '{"nuc": {"httpPrt": 9000}}');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.field).toBe('nuc.httpPrt');
    expect(error.reason).toMatch(/unknown field/);
  });

  it('reports a YAML syntax error with its line', () => {
    const file = withFile('edge.yaml', 'nuc:\n  httpPort: [1,\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.message).toMatch(/line \d+/);
  });

  it('applies environment overrides for ports and the data directory', () => {
    const config = loadConfig({ env: { EDGE_HTTP_PORT: '9090', EDGE_BUS_PUB_PORT: '7560', EDGE_DATA_DIR: '/tmp/edge-x' }, cwd: '/' });
    expect(config.nuc.httpPort).toBe(9090);
    expect(config.nuc.busPublishersPort).toBe(7560);
    expect(config.dataDir).toBe('/tmp/edge-x');
  });

  it('names the environment variable when its value is bad', () => {
    const error = errorOf(() => loadConfig({ env: { EDGE_HTTP_PORT: '80a' }, cwd: '/' }));
    expect(error.source).toBe('EDGE_HTTP_PORT');
    expect(error.field).toBe('nuc.httpPort');
    const outOfRange = errorOf(() => loadConfig({ env: { EDGE_HTTP_PORT: '70000' }, cwd: '/' }));
    expect(outOfRange.field).toBe('nuc.httpPort');
  });

  it('says which file could not be read', () => {
    const error = errorOf(() => loadConfig({ file: '/nonexistent/edge.yaml', env: {} }));
    expect(error.message).toContain('/nonexistent/edge.yaml');
    expect(error.reason).toMatch(/ENOENT/);
  });
  it('refuses a control token shorter than 16 characters, naming the variable that set it', () => {
    const error = errorOf(() => loadConfig({ env: { EDGE_TOKEN: 'secret' }, cwd: '/' }));
    expect(error.source).toBe('EDGE_TOKEN');
    expect(error.message).toContain('nuc.token: must be at least 16 characters, got 6');
    expect(loadConfig({ env: { EDGE_TOKEN: 'sixteen-chars-ok' }, cwd: '/' }).nuc.token).toBe('sixteen-chars-ok');
  });

  it('takes EDGE_CARS as a comma-separated list of the cars npm start runs', () => {
    expect(loadConfig({ env: { EDGE_CARS: '1, 7,track-3' }, cwd: '/' }).launcher.cars).toEqual(['1', '7', 'track-3']);
  });

  it('needs both TLS files or neither', () => {
    expect(() => validateConfig({ nuc: { tls: { cert: 'cert.pem' } } }, 'test')).toThrow(/nuc.tls: needs both cert and key/);
  });
});
