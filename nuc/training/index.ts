/** Background training on the NUC: the job store and the HTTP routes the server mounts (the queue and worker run in service.ts). */
export { JobStore } from './job-store.ts';
export { trainingRoutes } from './routes.ts';
export { TRAINING_DB } from './names.ts';
