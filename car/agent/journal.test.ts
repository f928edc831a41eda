import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal, encodeJournal } from './journal.ts';
import { plan } from './planner.ts';
import { initialState, type AgentState } from './state.ts';
import { V1, V1_SLOTS, V2_HANDOVER } from '../../test/support/agent-fixtures.ts';

const installed = initialState({ release: V1, gen: 1, slots: V1_SLOTS });
const updating = plan(installed, V2_HANDOVER, { now: 0, carStopped: true, blobsPresent: new Set(), health: {} }).next;

describe('FileJournal', () => {
  let dir: string;
  let journal: FileJournal;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-journal-'));
    journal = new FileJournal(path.join(dir, 'agent', 'state.json'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('loads nothing before the first save, then the last state saved, keeping the previous as .bak', async () => {
    expect(await journal.load()).toBeUndefined();
    await journal.save(installed);
    await journal.save(updating);
    expect(await journal.load()).toEqual(updating);
    expect(journal.lastLoad?.source).toBe('file');
    expect(JSON.parse(await fs.readFile(journal.bak, 'utf8')).state).toEqual(installed);
  });

  it('falls back to the previous state when the file is half-written', async () => {
    await journal.save(installed);
    await journal.save(updating);
    const text = await fs.readFile(journal.file, 'utf8');
    await fs.writeFile(journal.file, text.slice(0, text.length / 2));
    expect(await journal.load()).toEqual(installed);
    expect(journal.lastLoad).toMatchObject({ source: 'bak', skipped: [expect.stringMatching(/torn write/)] });
  });

  it('detects a corrupt file by its checksum', async () => {
    await journal.save(installed);
    await journal.save(updating);
    await fs.writeFile(journal.file, (await fs.readFile(journal.file, 'utf8')).replace('"checking-space"', '"committing"'));
    expect(await journal.load()).toEqual(installed);
  });

  it('uses the complete temporary file after a cut between the two renames', async () => {
    await journal.save(installed);
    // the save of `updating` got as far as: tmp written and fsynced, file renamed to .bak
    await fs.writeFile(journal.tmp, encodeJournal(updating));
    await fs.rename(journal.file, journal.bak);
    expect(await journal.load()).toEqual(updating);
    expect(journal.lastLoad?.source).toBe('tmp');
  });

  it('rejects a journal whose state is not a valid agent state, and says so when nothing is intact', async () => {
    const broken = { ...installed, phase: 'dancing' } as unknown as AgentState;
    await fs.mkdir(path.dirname(journal.file), { recursive: true });
    await fs.writeFile(journal.file, encodeJournal(broken));
    await expect(journal.load()).rejects.toThrow(/state\.phase must be one of/);
  });
});
