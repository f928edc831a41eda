/**
 * Pairing: the NUC's bus keys and the allow-list of client keys (who may connect to the bus, with
 * which role). The proxy service reads and watches it, `npm start` pairs its own services and
 * simulated cars, `npm run bus -- pair | unpair | list` manages the rest.
 */
export { BusKeyStore, PairingError, pairedCarIds, writeClientKeyDir } from './key-store.ts';
export { AllowListError, NAME_PATTERN, pairedClient, type AllowListEntry } from './allow-list.ts';
export { watchAllowList } from './watch.ts';
export { BusClientSchema, BusClientsReplySchema, busClientsReport, type BusClient, type BusClientsReply } from './client-report.ts';
