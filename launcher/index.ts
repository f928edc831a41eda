/** The entry points are run, not imported; integration tests drive the deploy and bus CLIs in-process. */
export { runCli as runDeployCli } from './deploy-cli.ts';
export { runBusCli } from './bus-cli.ts';
