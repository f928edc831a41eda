/** What a service's bus subscriber accepts, from the configuration: payload and header sizes, and the cars' camera size for frames. */
import type { DecodeLimits } from '../protocol/index.ts';
import type { PlatformConfig } from './config-schema.ts';

export const MAX_HEADER_BYTES = 64 * 1024;

export function busLimits(config: PlatformConfig): DecodeLimits {
  return {
    maxPayloadBytes: config.bus.maxPayloadBytes,
    maxHeaderBytes: MAX_HEADER_BYTES,
    cameraSize: { width: config.car.camera.width, height: config.car.camera.height },
  };
}
