/** Test support: a client of a running platform's NUC bus, paired in its data directory as npm start pairs its own. */
import path from 'node:path';
import { BusKeyStore } from '../../nuc/pairing/index.ts';
import { ClientSecurity, DEFAULT_LIMITS, type BusEndpoints, type Identity } from '../../protocol/index.ts';

const storeOf = (dataDir: string): BusKeyStore => new BusKeyStore(path.join(dataDir, 'keys', 'bus'));

/** Whether a platform of this configuration and environment secures its bus (EDGE_BUS_SECURITY wins, as in the loader). */
export function busSecured(config: { bus?: { security?: string } } | undefined, env: NodeJS.ProcessEnv): boolean {
  return (env.EDGE_BUS_SECURITY || config?.bus?.security || 'curve') !== 'none';
}

/**
 * The NUC bus at `endpoints` as `identity` reaches it, paired on a secured bus (the running proxy
 * admits the new key at once: it watches the allow-list); on a bus without security, no keys.
 */
export function pairedBus(dataDir: string, endpoints: { publishers: string; subscribers: string }, identity: Identity, secured = true): BusEndpoints {
  if (!secured) return { ...endpoints, limits: DEFAULT_LIMITS };
  const keys = storeOf(dataDir).ensureOwnClient(identity);
  return { ...endpoints, security: new ClientSecurity(keys), limits: DEFAULT_LIMITS };
}

/** The directory holding `identity`'s key files (client.secret, client.public, nuc.public), paired first. */
export function pairedKeyDir(dataDir: string, identity: Identity): string {
  const store = storeOf(dataDir);
  store.ensureOwnClient(identity);
  return store.ownClientDir(identity.name);
}
