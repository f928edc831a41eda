/**
 * Other cars in a camera frame: each is a box (the car's body) projected through the same pinhole
 * camera as the ground, filled with its paint and drawn far to near so a nearer car hides a farther
 * one. Shading (a lighter roof band, a dark base for the wheels) makes it read as a car, not a patch.
 */
import type { Rgb } from '../protocol/index.ts';

export interface CarSprite {
  x: number;
  y: number;
  heading: number;
  colour: Rgb;
}

/** The body's size in metres (a 1:10 car). */
export const CAR_BODY = { lengthM: 0.3, widthM: 0.2, heightM: 0.14 } as const;

export interface SpriteCamera {
  width: number;
  height: number;
  focal: number;
  /** downward tilt, radians */
  pitch: number;
  /** the lens height above the ground */
  camera: { heightM: number };
  lensX: number;
  lensY: number;
  heading: number;
}

/** Nearer than this (in depth) a car is not drawn: it would fill the frame from inside the lens. */
const MIN_DEPTH_M = 0.05;

interface Projected {
  depth: number;
  u0: number;
  u1: number;
  v0: number;
  v1: number;
  colour: Rgb;
}

function project(view: SpriteCamera, car: CarSprite): Projected | undefined {
  const cos = Math.cos(view.heading);
  const sin = Math.sin(view.heading);
  const sinP = Math.sin(view.pitch);
  const cosP = Math.cos(view.pitch);
  const cc = Math.cos(car.heading);
  const cs = Math.sin(car.heading);
  let u0 = Infinity;
  let u1 = -Infinity;
  let v0 = Infinity;
  let v1 = -Infinity;
  let nearest = Infinity;
  for (const along of [-CAR_BODY.lengthM / 2, CAR_BODY.lengthM / 2]) {
    for (const across of [-CAR_BODY.widthM / 2, CAR_BODY.widthM / 2]) {
      const px = car.x + along * cc - across * cs;
      const py = car.y + along * cs + across * cc;
      const dx = px - view.lensX;
      const dy = py - view.lensY;
      const ahead = dx * cos + dy * sin;
      const right = dx * sin - dy * cos;
      for (const z of [0, CAR_BODY.heightM]) {
        const down = view.camera.heightM - z;
        const depth = ahead * cosP + down * sinP;
        if (depth < MIN_DEPTH_M) return undefined;
        const vert = -ahead * sinP + down * cosP;
        const u = view.width / 2 + (view.focal * right) / depth - 0.5;
        const v = view.height / 2 + (view.focal * vert) / depth - 0.5;
        u0 = Math.min(u0, u);
        u1 = Math.max(u1, u);
        v0 = Math.min(v0, v);
        v1 = Math.max(v1, v);
        nearest = Math.min(nearest, depth);
      }
    }
  }
  if (u1 < 0 || u0 >= view.width || v1 < 0 || v0 >= view.height) return undefined;
  return { depth: nearest, u0, u1, v0, v1, colour: car.colour };
}

function shade(colour: Rgb, gain: number): Rgb {
  return [Math.min(255, Math.round(colour[0] * gain)), Math.min(255, Math.round(colour[1] * gain)), Math.min(255, Math.round(colour[2] * gain))];
}

/** Draws `cars` into the packed RGB frame `rgb` as the camera `view` sees them. */
export function drawCars(rgb: Uint8Array, view: SpriteCamera, cars: readonly CarSprite[]): void {
  const visible = cars.map((car) => project(view, car)).filter((p): p is Projected => p !== undefined);
  visible.sort((a, b) => b.depth - a.depth);
  for (const car of visible) {
    const left = Math.max(0, Math.round(car.u0));
    const right = Math.min(view.width - 1, Math.round(car.u1));
    const top = Math.max(0, Math.round(car.v0));
    const bottom = Math.min(view.height - 1, Math.round(car.v1));
    const span = Math.max(1, car.v1 - car.v0);
    const roof = shade(car.colour, 1.25);
    const base: Rgb = [24, 24, 28];
    for (let v = top; v <= bottom; v++) {
      const t = (v - car.v0) / span;
      const colour = t < 0.2 ? roof : t > 0.85 ? base : car.colour;
      let o = (v * view.width + left) * 3;
      for (let u = left; u <= right; u++, o += 3) {
        rgb[o] = colour[0];
        rgb[o + 1] = colour[1];
        rgb[o + 2] = colour[2];
      }
    }
  }
}
