import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SettingsError, SettingsStore } from './settings-store.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-settings-'));
  file = path.join(dir, 'nuc', 'settings.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SettingsStore', () => {
  it('starts from the given defaults and writes only what was set, in the layout the compositor reads', async () => {
    const store = await SettingsStore.open(file, { defaults: { background: { name: 'stadium', filter: 'sepia' } } });
    expect(store.get('background')).toEqual({ name: 'stadium', filter: 'sepia' });
    await store.put('panning', { scale: 9 });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ panning: { scale: 9 } });
    await store.put('background', { name: 'neon-grid', filter: 'none' });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ panning: { scale: 9 }, background: 'neon-grid', filter: 'none' });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['settings.json']);

    const reopened = await SettingsStore.open(file);
    expect(reopened.get('background')).toEqual({ name: 'neon-grid', filter: 'none' });
    expect(reopened.get('panning')).toEqual({ scale: 9 });
  });

  it('refuses an invalid section, naming the field, and keeps the old value', async () => {
    const store = await SettingsStore.open(file);
    const changes: string[] = [];
    store.onChange((name) => changes.push(name));
    await expect(store.put('panning', { scale: -1 })).rejects.toThrow(SettingsError);
    await expect(store.put('panning', { scale: -1 })).rejects.toThrow(/scale/);
    expect(store.get('panning').scale).toBe(6);
    expect(fs.existsSync(file)).toBe(false);
    expect(changes).toEqual([]);
  });

  it('survives a damaged file: bad JSON or a bad section falls back to defaults with a warning', async () => {
    const warnings: string[] = [];
    const log = { warn: (_obj: object, msg?: string) => void warnings.push(msg ?? '') };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"panning": {"scale": "fast"}, "background": "stadium", "filter": "none"}');
    const store = await SettingsStore.open(file, { log });
    expect(store.get('panning').scale).toBe(6);
    expect(store.get('background').name).toBe('stadium');
    fs.writeFileSync(file, '{ not json');
    await SettingsStore.open(file, { log });
    expect(warnings).toEqual(['invalid settings section; using its defaults', 'settings file unreadable; using defaults']);
  });
});
