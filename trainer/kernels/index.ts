export { registerWasmTrainingKernels } from './register.ts';
export { conv2dBackpropFilterAsConv } from './conv2d-backprop-filter.ts';
export { conv2dBackpropInputAsConv, interleavePhases, phaseFilter } from './conv2d-backprop-input.ts';
export { matMulWithExplicitTranspose } from './matmul-transposed.ts';
