/**
 * The bus keys a process of this configuration connects with. On the NUC's own machine its
 * services and simulated cars are paired by themselves (`clients/<name>/` under `bus.keysDir`); a
 * car or tool elsewhere uses the key directory `npm run bus -- pair … --out` wrote (`bus.clientKeys`).
 * A missing or malformed key is a ConfigError naming the field and the reason, so start-up stops.
 */
import { AllowListError, BusKeyStore, PairingError } from '../nuc/pairing/index.ts';
import { ClientSecurity, KeyFileError, readClientKeys, type BusEndpoints, type ClientKeys, type Identity } from '../protocol/index.ts';
import { busKeysDir, ConfigError, nucBus, type LoadedConfig, type ServiceScope } from '../runtime/index.ts';

/** The name `npm start` pairs a simulated car under. */
export function simulatedCarName(carId: string): string {
  return `car-${carId}`;
}

/** The identity a service of the NUC, or a car's link to it, connects as. */
export function serviceIdentity(scope: ServiceScope, name: string, carId: string | undefined): Identity {
  return scope === 'nuc' ? { name, role: 'nuc', service: name } : { name: simulatedCarName(carId!), role: 'car', car: carId! };
}

function keyProblem(config: LoadedConfig, field: string, error: unknown): never {
  if (error instanceof KeyFileError) throw new ConfigError(config.source, field, `${error.file}: ${error.reason}`);
  if (error instanceof AllowListError || error instanceof PairingError) throw new ConfigError(config.source, field, error.message);
  throw error;
}

/** This identity's keys: a car's from `bus.clientKeys` when set, else paired on this machine. */
export function clientKeysFor(config: LoadedConfig, identity: Identity): ClientKeys {
  // a car, or a timing gate at the line (the one NUC service that runs on another host), connects with its paired keys
  if (config.bus.clientKeys && (identity.role === 'car' || (identity.role === 'nuc' && identity.service === 'timing'))) {
    try {
      return readClientKeys(config.bus.clientKeys);
    } catch (error) {
      keyProblem(config, 'bus.clientKeys', error);
    }
  }
  try {
    return new BusKeyStore(busKeysDir(config)).ensureOwnClient(identity);
  } catch (error) {
    keyProblem(config, 'bus.keysDir', error);
  }
}

/** The NUC bus as `identity` reaches it: with its keys when the bus is secured. */
export function nucBusAs(config: LoadedConfig, identity: Identity): BusEndpoints {
  const bus = nucBus(config);
  return config.bus.security === 'curve' ? { ...bus, security: new ClientSecurity(clientKeysFor(config, identity)) } : bus;
}

/** The NUC's key pair (made on first start), checked before anything else starts. */
export function checkNucKeys(config: LoadedConfig): void {
  const store = new BusKeyStore(busKeysDir(config));
  try {
    store.ensureNucKeys();
    store.entries();
  } catch (error) {
    keyProblem(config, 'bus.keysDir', error);
  }
}

export const SECURITY_OFF_WARNING =
  'bus.security is none: the bus is neither encrypted nor authenticated, and anyone who reaches its ports can read it and steer the cars (for debugging only)';
