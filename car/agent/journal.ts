/**
 * The agent's journal: its state in one file, replaced atomically (write a temporary file, fsync,
 * keep the previous file as `.bak`, rename, fsync the directory). Each file carries the sha256 of
 * its state, so a torn or corrupt write is detected and the newest intact copy wins: the file, else
 * the fsynced temporary (a cut between the two renames), else the backup.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseAgentState, type AgentState } from './state.ts';

export interface JournalStore {
  /** the newest intact state, or undefined when none was ever written */
  load(): Promise<AgentState | undefined>;
  save(state: AgentState): Promise<void>;
}

export type JournalSource = 'file' | 'tmp' | 'bak';

export interface JournalLoad {
  state: AgentState;
  source: JournalSource;
  /** why newer copies were skipped, e.g. a corrupt file */
  skipped: string[];
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function encodeJournal(state: AgentState): string {
  const body = JSON.stringify(state);
  return `{"v":1,"sha256":"${digest(body)}","state":${body}}\n`;
}

/** Parses a journal file; throws an Error naming what is wrong with it. */
export function decodeJournal(text: string): AgentState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('not JSON (torn write?)');
  }
  if (typeof raw !== 'object' || raw === null || (raw as { v?: unknown }).v !== 1) throw new Error('not a version 1 journal');
  const { sha256, state } = raw as { sha256?: unknown; state?: unknown };
  if (typeof sha256 !== 'string' || digest(JSON.stringify(state)) !== sha256) throw new Error('checksum mismatch');
  return parseAgentState(state);
}

export class FileJournal implements JournalStore {
  readonly file: string;
  readonly tmp: string;
  readonly bak: string;
  /** where the last load came from, for the agent's log */
  lastLoad: JournalLoad | undefined;

  constructor(file: string) {
    this.file = file;
    this.tmp = `${file}.tmp`;
    this.bak = `${file}.bak`;
  }

  async load(): Promise<AgentState | undefined> {
    const skipped: string[] = [];
    for (const [source, file] of [['file', this.file], ['tmp', this.tmp], ['bak', this.bak]] as const) {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        skipped.push(`${file}: ${(error as Error).message}`);
        continue;
      }
      try {
        const state = decodeJournal(text);
        this.lastLoad = { state, source, skipped };
        return state;
      } catch (error) {
        skipped.push(`${file}: ${(error as Error).message}`);
      }
    }
    this.lastLoad = undefined;
    if (skipped.length > 0) throw new Error(`no intact agent journal: ${skipped.join('; ')}`);
    return undefined;
  }

  async save(state: AgentState): Promise<void> {
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true });
    const handle = await fs.open(this.tmp, 'w');
    try {
      await handle.writeFile(encodeJournal(state), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // between these renames there is no journal file, but the fsynced tmp is complete and loads
    try {
      await fs.rename(this.file, this.bak);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await fs.rename(this.tmp, this.file);
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

/** A journal in memory, for tests and for the executor's dry runs. */
export class MemoryJournal implements JournalStore {
  private text: string | undefined;
  readonly saved: AgentState[] = [];

  async load(): Promise<AgentState | undefined> {
    return this.text === undefined ? undefined : decodeJournal(this.text);
  }

  async save(state: AgentState): Promise<void> {
    this.text = encodeJournal(state);
    this.saved.push(state);
  }
}
