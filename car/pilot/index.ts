/** The pilot's public surface for other car folders: the model pointer the update agent writes. */
export { modelLabel, type ModelPointer } from './model-pointer.ts';
