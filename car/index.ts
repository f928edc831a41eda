/** The car's services, for the launcher (which runs them) and deploy (which releases the updatable ones). */
export { CAR_SERVICES, launchedCarServices } from './services.ts';
export { nodeFlagsOf } from './node-flags.ts';
export { UPDATABLE_SERVICES, type UpdatableService } from './updatable-services.ts';
