/** The car's update agent: a pure planner, its journal and a small executor of I/O effects. */
export { UpdateClient, UpdateRefusedError, provisionTrustedRoot, type RefusalReason } from './update-client.ts';
