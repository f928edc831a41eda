/** What every bus of this configuration carries: payload and header sizes, and the cars' camera size for frames. */
import { MAX_HEADER_BYTES, type DecodeLimits } from '../protocol/index.ts';
import type { PlatformConfig } from './config-schema.ts';

export function busLimits(config: PlatformConfig): DecodeLimits {
  return {
    maxPayloadBytes: config.bus.maxPayloadBytes,
    maxHeaderBytes: MAX_HEADER_BYTES,
    cameraSize: { width: config.car.camera.width, height: config.car.camera.height },
  };
}
