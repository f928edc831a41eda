/** Where the agent keeps its files: blobs, A/B slots, models, its journal and trusted metadata, under `<dataDir>/car/<id>/agent/`. */
import path from 'node:path';
import type { Slot } from './state.ts';

export interface AgentPaths {
  root: string;
  /** content-addressed blobs `<sha256>`, partial downloads `<sha256>.part` */
  blobs: string;
  /** `<service>/<A|B>/`; a `node_modules` link here makes a bundle's native imports resolvable */
  slots: string;
  /** `<version>/` per staged model */
  models: string;
  /** the pilot follows this pointer: `{ dir, name, version }` */
  modelPointer: string;
  journal: string;
  /** the car's trusted TUF metadata */
  tuf: string;
  /** one pidfile per running service instance */
  pids: string;
}

export function agentPaths(dataDir: string, carId: string): AgentPaths {
  const root = path.join(dataDir, 'car', carId, 'agent');
  return {
    root,
    blobs: path.join(root, 'blobs'),
    slots: path.join(root, 'slots'),
    models: path.join(root, 'models'),
    modelPointer: path.join(root, 'model.json'),
    journal: path.join(root, 'journal.json'),
    tuf: path.join(root, 'tuf'),
    pids: path.join(dataDir, 'car', carId, 'run', 'agent'),
  };
}

export function slotDir(paths: AgentPaths, service: string, slot: Slot): string {
  return path.join(paths.slots, service, slot);
}
