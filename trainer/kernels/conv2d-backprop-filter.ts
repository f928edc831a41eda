/**
 * Conv2DBackpropFilter for backends that lack it (wasm), as one forward conv2d:
 *   dW[p,q,c,o] = Σ_{b,i,j} x[b, i·s+p−padTop, j·s+q−padLeft, c] · dy[b,i,j,o]
 * is a stride-1 convolution, dilated by the stride, of xᵀ (channels as batch, batch as channels)
 * with dyᵀ (the output gradient as the filter); its [C, fh, fw, O] result transposed is dW.
 */
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { KernelScope } from './backend-ops.ts';
import { convGeometry, type PadAttr } from './conv-geometry.ts';

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function conv2dBackpropFilterAsConv(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as BackpropFilterAttrs;
    const g = convGeometry(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
    const scope = new KernelScope(backend as KernelBackend, backendName);
    try {
      // Rows/columns of the input past the last window never reach dW; padding below/right of the
      // input is whatever makes the conv output exactly fh × fw.
      const padBottom = g.filterHeight - g.inHeight - g.padTop + (g.outHeight - 1) * g.strideHeight;
      const padRight = g.filterWidth - g.inWidth - g.padLeft + (g.outWidth - 1) * g.strideWidth;
      const xT = scope.transpose(x, [3, 1, 2, 0]);
      const xTrimmed = scope.slice(
        xT,
        [0, 0, 0, 0],
        [g.inChannels, g.inHeight + Math.min(padBottom, 0), g.inWidth + Math.min(padRight, 0), g.batch],
      );
      const dyT = scope.transpose(dy, [1, 2, 0, 3]);
      const pad = [
        [0, 0],
        [g.padTop, Math.max(padBottom, 0)],
        [g.padLeft, Math.max(padRight, 0)],
        [0, 0],
      ];
      const z = scope.run('Conv2D', { x: xTrimmed, filter: dyT }, {
        strides: [1, 1],
        pad,
        dataFormat: 'NHWC',
        dilations: [g.strideHeight, g.strideWidth],
        dimRoundingMode: undefined,
      } as unknown as NamedAttrMap);
      return scope.keep(scope.transpose(z, [1, 2, 0, 3]));
    } finally {
      scope.dispose();
    }
  };
}
