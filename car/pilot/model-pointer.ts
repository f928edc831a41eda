/**
 * The update agent's model pointer, `<dataDir>/car/<id>/agent/model.json` =
 * `{dir, name, version}`: which model the pilot should run. The agent replaces it by rename, so a
 * read sees a whole pointer or the previous one; anything else is reported, never half-followed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PilotError } from './pilot.ts';

export interface ModelPointer {
  /** absolute path of the model directory */
  dir: string;
  name: string;
  version: number | string;
}

export function modelPointerFile(dataDir: string, carId: string): string {
  return path.join(dataDir, 'car', carId, 'agent', 'model.json');
}

/** How telemetry names the model: `"<name> v<version>"`. */
export function modelLabel(pointer: ModelPointer): string {
  return `${pointer.name} v${pointer.version}`;
}

export function parseModelPointer(text: string, where = 'model pointer'): ModelPointer {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PilotError(`${where} is not JSON: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new PilotError(`${where} must be an object {dir, name, version}`);
  const { dir, name, version } = data as Record<string, unknown>;
  if (typeof dir !== 'string' || !path.isAbsolute(dir)) throw new PilotError(`${where}: dir must be an absolute path, got ${JSON.stringify(dir)}`);
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) throw new PilotError(`${where}: name must be a string of 1-100 characters`);
  const versionOk = (typeof version === 'number' && Number.isFinite(version)) || (typeof version === 'string' && version.length > 0 && version.length <= 64);
  if (!versionOk) throw new PilotError(`${where}: version must be a number or a short string, got ${JSON.stringify(version)}`);
  return { dir, name, version: version as number | string };
}

/** The pointer's text, or undefined when there is none. */
export async function readPointerText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PilotError(`cannot read the model pointer ${file}: ${(error as Error).message}`);
  }
}
