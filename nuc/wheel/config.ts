/** The `wheel` config section's fields; runtime/config-schema.ts adds `car` (the car this wheel drives). */
import { Type, type Static } from '@sinclair/typebox';
import { GenericCalibrationSchema } from './calibration.ts';
import { WheelMappingSchema } from './mapping.ts';

export const WheelConfigSchema = Type.Object(
  {
    /**
     * 'auto': the first supported USB wheel (or the calibrated generic device), 'virtual': no USB, the
     * demo's programmatic wheel and the browser, 'none': browser only, or a 'vvvv:pppp' hex id.
     */
    device: Type.Union([Type.Literal('auto'), Type.Literal('virtual'), Type.Literal('none'), Type.String({ pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$' })], {
      default: 'virtual',
    }),
    /** lock-to-lock rotation set on the wheel at start, where the wheel has a documented command */
    rangeDegrees: Type.Integer({ minimum: 40, maximum: 1080, default: 900 }),
    /** centring spring set at start: 0 off .. 1 strongest */
    autocenter: Type.Number({ minimum: 0, maximum: 1, default: 0.3 }),
    /** how often the USB device list is checked for a plugged / unplugged wheel */
    pollMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
    mapping: WheelMappingSchema,
    /** written by the guided calibration of a generic device */
    calibration: Type.Optional(GenericCalibrationSchema),
  },
  { additionalProperties: false, default: {} },
);

export type WheelConfig = Static<typeof WheelConfigSchema>;
