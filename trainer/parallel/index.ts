/** Data-parallel training on the wasm backend: gradients of part of each batch in a helper process. */
export { applyGradients, batchGradients, mergeGradients, trainableVariables, type BatchGradients } from './gradients.ts';
export { GradientHelper, GradientHelperError } from './gradient-helper.ts';
