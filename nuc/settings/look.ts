/**
 * The driver's-view look that the settings file carries and the compositor (and a browser keying in
 * WebGL) applies: the chroma key's parameters and the filter names. Here, not in the compositor, so
 * that reading the settings file never loads the compositor's image code.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ChromaKeySchema = Type.Object(
  {
    hueCenter: Type.Number({
      minimum: 0,
      maximum: 360,
      default: 140,
      description: 'hue of the backdrop in degrees (chroma green RGB 0,177,64 is ~142°)',
    }),
    hueWidth: Type.Number({
      minimum: 1,
      maximum: 180,
      default: 40,
      description: 'half-width of the keyed hue band in degrees',
    }),
    minSaturation: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.3,
      description: 'HSV saturation below which a pixel is never keyed (greys, skin, white)',
    }),
    minValue: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.15,
      description: 'HSV value below which a pixel is never keyed (shadows, black)',
    }),
    softness: Type.Number({
      minimum: 0,
      maximum: 0.5,
      default: 0.1,
      description:
        'width of the soft edge around each limit: a fraction of the saturation and value scales, ' +
        'and of 180° for hue; 0 gives a hard mask',
    }),
    spill: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'green spill suppression on the kept subject: 0 off, 1 clamps green to max(red, blue)',
    }),
  },
  { additionalProperties: false },
);
export type ChromaKeySettings = Static<typeof ChromaKeySchema>;

export const FILTER_NAMES = ['none', 'grayscale', 'sepia', 'vignette'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];
