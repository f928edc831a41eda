/**
 * The car's update agent (a pure planner, its journal and a small executor of I/O effects) runs as
 * its own service; other folders use only its verifying client (deploy's tests drive it).
 */
export { UpdateClient, provisionTrustedRoot } from './update-client.ts';
