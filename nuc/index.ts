/** The NUC's services, for the launcher. */
export { NUC_SERVICES } from './services.ts';
