/** The entry points are run, not imported; integration tests drive the deploy CLI in-process. */
export { runCli as runDeployCli } from './deploy-cli.ts';
