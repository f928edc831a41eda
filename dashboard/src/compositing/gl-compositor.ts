/**
 * Green-screen compositing on the viewer's GPU: the car's raw camera JPEG keyed over the background
 * in a WebGL2 fragment shader, so the NUC relays bytes instead of decoding and re-encoding frames.
 *
 * It is the server compositor's maths (nuc/compositor: keying.ts, blend.ts, filters.ts, panning.ts)
 * ported, not approximated: the HSV soft key is evaluated at the centre of the same 6-bit RGB cell the
 * server's lookup table samples, alpha is rounded to 8 bits, spill, blend and filters use the same
 * integer arithmetic, and the background window starts at the same whole-pixel column. So a frame
 * and its settings give the same picture here as there (up to JPEG decoding).
 */
import type { Look } from '../../../nuc/server/wire.ts';

const VERTEX = `#version 300 es
in vec2 corner;
void main() { gl_Position = vec4(corner, 0.0, 1.0); }`;

const FRAGMENT = `#version 300 es
precision highp float;
precision highp int;
uniform sampler2D frame;
uniform sampler2D background;
uniform int keyed;
uniform int offsetX;
uniform vec4 key;      // hueCenter, hueWidth, minSaturation, minValue
uniform float softness;
uniform float spill256;
uniform int filterKind; // 0 none, 1 grayscale, 2 sepia, 3 vignette
uniform vec2 size;
out vec4 colour;

float ramp(float distance, float margin) {
  if (margin <= 0.0) return distance >= 0.0 ? 1.0 : 0.0;
  return clamp(0.5 + distance / margin, 0.0, 1.0);
}

// keying.ts subjectAlpha() at the centre of the table's 6-bit cell, rounded to 0..255
float subjectAlpha(vec3 c) {
  vec3 q = floor(c / 4.0) * 4.0 + 1.5;
  float mx = max(q.r, max(q.g, q.b));
  float mn = min(q.r, min(q.g, q.b));
  float chroma = mx - mn;
  float value = mx / 255.0;
  float saturation = mx == 0.0 ? 0.0 : chroma / mx;
  float hue = 0.0;
  if (chroma > 0.0) {
    if (mx == q.r) hue = 60.0 * mod((q.g - q.b) / chroma + 6.0, 6.0);
    else if (mx == q.g) hue = 60.0 * ((q.b - q.r) / chroma + 2.0);
    else hue = 60.0 * ((q.r - q.g) / chroma + 4.0);
  }
  float raw = mod(abs(hue - key.x), 360.0);
  float hueDistance = raw > 180.0 ? 360.0 - raw : raw;
  float keyness = min(ramp(key.y - hueDistance, softness * 180.0), min(ramp(saturation - key.z, softness), ramp(value - key.w, softness)));
  return floor((1.0 - keyness) * 255.0 + 0.5);
}

vec3 div255(vec3 x) {
  vec3 t = x + 128.0;
  return floor((t + floor(t / 256.0)) / 256.0);
}

vec3 texel(sampler2D image, ivec2 at) {
  return floor(texelFetch(image, at, 0).rgb * 255.0 + 0.5);
}

void main() {
  ivec2 at = ivec2(int(gl_FragCoord.x), int(size.y) - 1 - int(gl_FragCoord.y));
  vec3 f = texel(frame, at);
  vec3 o = f;
  if (keyed == 1) {
    vec3 bg = texel(background, ivec2(at.x + offsetX, at.y));
    float a = subjectAlpha(f);
    if (a == 0.0) {
      o = bg;
    } else {
      float m = max(f.r, f.b);
      float g = f.g;
      if (spill256 != 0.0 && g > m) g -= floor((g - m) * spill256 / 256.0);
      vec3 kept = vec3(f.r, g, f.b);
      o = a == 255.0 ? kept : div255(kept * a + bg * (255.0 - a));
    }
    if (filterKind == 1) {
      o = vec3(floor((77.0 * o.r + 150.0 * o.g + 29.0 * o.b) / 256.0));
    } else if (filterKind == 2) {
      o = vec3(
        min(255.0, floor((101.0 * o.r + 197.0 * o.g + 48.0 * o.b) / 256.0)),
        min(255.0, floor((89.0 * o.r + 176.0 * o.g + 43.0 * o.b) / 256.0)),
        floor((70.0 * o.r + 137.0 * o.g + 34.0 * o.b) / 256.0));
    } else if (filterKind == 3) {
      vec2 c = (size - 1.0) / 2.0;
      vec2 d = vec2(c.x > 0.0 ? (float(at.x) - c.x) / c.x : 0.0, c.y > 0.0 ? (float(at.y) - c.y) / c.y : 0.0);
      float d2 = dot(d, d) / 2.0;
      float gain = floor(256.0 * (1.0 - 0.55 * d2 * d2) + 0.5);
      o = floor(o * gain / 256.0);
    }
  }
  colour = vec4(o / 255.0, 1.0);
}`;

const FILTERS: Record<Look['filter'], number> = { none: 0, grayscale: 1, sepia: 2, vignette: 3 };

export class GlCompositorError extends Error {
  override name = 'GlCompositorError';
}

/** Whether this browser can composite on its GPU (WebGL2); without it the server composites. */
export function canCompositeOnGpu(): boolean {
  try {
    const probe = document.createElement('canvas');
    const gl = probe.getContext('webgl2');
    const ok = gl !== null && !gl.isContextLost();
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return ok;
  } catch {
    return false;
  }
}

/** The background's left edge as the server pans it: `angle × scale` per camera frame, re-centred at the ends. */
export class GpuPan {
  private x: number | undefined;

  offset(backgroundWidth: number, viewWidth: number): number {
    this.x ??= centred(backgroundWidth, viewWidth);
    return Math.round(this.x);
  }

  /** Advances by `frames` camera frames' worth (fractional: the display's frame rate need not be the camera's). */
  step(angle: number, scale: number, frames: number, backgroundWidth: number, viewWidth: number): void {
    const a = Number.isFinite(angle) ? Math.max(-1, Math.min(1, angle)) : 0;
    const next = (this.x ?? centred(backgroundWidth, viewWidth)) + a * scale * frames;
    this.x = next < 0 || next > backgroundWidth - viewWidth ? centred(backgroundWidth, viewWidth) : next;
  }

  reset(): void {
    this.x = undefined;
  }
}

function centred(backgroundWidth: number, viewWidth: number): number {
  return Math.max(0, (backgroundWidth - viewWidth) / 2);
}

interface Uniforms {
  keyed: WebGLUniformLocation | null;
  offsetX: WebGLUniformLocation | null;
  key: WebGLUniformLocation | null;
  softness: WebGLUniformLocation | null;
  spill256: WebGLUniformLocation | null;
  filterKind: WebGLUniformLocation | null;
  size: WebGLUniformLocation | null;
}

export interface GlCompositor {
  /** what the next draw keys with; a background is an image of the frame's height, at least as wide */
  setLook(look: Look, background: ImageBitmap | undefined): void;
  /** uploads a camera frame (keyed) or the server's composite (shown as it is) */
  setFrame(image: ImageBitmap, keyed: boolean): void;
  /** draws the newest frame with the background window starting at column `offsetX` */
  draw(offsetX: number): void;
  readonly backgroundWidth: number | undefined;
  destroy(): void;
}

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (!shader) throw new GlCompositorError('cannot create a shader');
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new GlCompositorError(`shader: ${gl.getShaderInfoLog(shader) ?? 'does not compile'}`);
  return shader;
}

function texture(gl: WebGL2RenderingContext, unit: number): WebGLTexture {
  const t = gl.createTexture();
  if (!t) throw new GlCompositorError('cannot create a texture');
  gl.activeTexture(gl.TEXTURE0 + unit);
  gl.bindTexture(gl.TEXTURE_2D, t);
  for (const [name, value] of [
    [gl.TEXTURE_MIN_FILTER, gl.NEAREST],
    [gl.TEXTURE_MAG_FILTER, gl.NEAREST],
    [gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE],
    [gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE],
  ] as const) {
    gl.texParameteri(gl.TEXTURE_2D, name, value);
  }
  return t;
}

/** A compositor drawing into `canvas` (which it takes for WebGL2); throws GlCompositorError without it. */
export function createGlCompositor(canvas: HTMLCanvasElement): GlCompositor {
  // preserveDrawingBuffer: the picture stays readable (a screenshot, the pixel test) between frames.
  const gl = canvas.getContext('webgl2', { preserveDrawingBuffer: true, antialias: false, premultipliedAlpha: false, alpha: false });
  if (!gl) throw new GlCompositorError('this browser has no WebGL2');
  const program = gl.createProgram();
  if (!program) throw new GlCompositorError('cannot create a program');
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new GlCompositorError(`program: ${gl.getProgramInfoLog(program) ?? 'does not link'}`);
  gl.useProgram(program);

  const corners = gl.createBuffer();
  gl.bindBuffer(gl.ARRAY_BUFFER, corners);
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
  const corner = gl.getAttribLocation(program, 'corner');
  gl.enableVertexAttribArray(corner);
  gl.vertexAttribPointer(corner, 2, gl.FLOAT, false, 0, 0);

  // The bytes as decoded: no colour management, no premultiplication, no flip (the shader flips rows).
  gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
  gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
  gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
  const frameTexture = texture(gl, 0);
  const backgroundTexture = texture(gl, 1);
  gl.uniform1i(gl.getUniformLocation(program, 'frame'), 0);
  gl.uniform1i(gl.getUniformLocation(program, 'background'), 1);
  const u: Uniforms = {
    keyed: gl.getUniformLocation(program, 'keyed'),
    offsetX: gl.getUniformLocation(program, 'offsetX'),
    key: gl.getUniformLocation(program, 'key'),
    softness: gl.getUniformLocation(program, 'softness'),
    spill256: gl.getUniformLocation(program, 'spill256'),
    filterKind: gl.getUniformLocation(program, 'filterKind'),
    size: gl.getUniformLocation(program, 'size'),
  };

  let frameSize: { width: number; height: number } | undefined;
  let keyed = false;
  let backgroundWidth: number | undefined;
  let backgroundHeight: number | undefined;

  return {
    get backgroundWidth() {
      return backgroundWidth;
    },
    setLook(look, background) {
      const k = look.keying;
      gl.uniform4f(u.key, k.hueCenter, k.hueWidth, k.minSaturation, k.minValue);
      gl.uniform1f(u.softness, k.softness);
      gl.uniform1f(u.spill256, Math.round(k.spill * 256));
      gl.uniform1i(u.filterKind, FILTERS[look.filter] ?? 0);
      if (background) {
        gl.activeTexture(gl.TEXTURE1);
        gl.bindTexture(gl.TEXTURE_2D, backgroundTexture);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, background);
        backgroundWidth = background.width;
        backgroundHeight = background.height;
      }
    },
    setFrame(image, isRaw) {
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, frameTexture);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, image);
      frameSize = { width: image.width, height: image.height };
      // A background fitted for another frame size cannot be laid under this one: show the frame as it is.
      keyed = isRaw && backgroundHeight === image.height && backgroundWidth !== undefined && backgroundWidth >= image.width;
      if (canvas.width !== image.width || canvas.height !== image.height) {
        canvas.width = image.width;
        canvas.height = image.height;
      }
    },
    draw(offsetX) {
      if (!frameSize) return;
      gl.viewport(0, 0, frameSize.width, frameSize.height);
      gl.uniform1i(u.keyed, keyed ? 1 : 0);
      gl.uniform1i(u.offsetX, Math.max(0, Math.min((backgroundWidth ?? frameSize.width) - frameSize.width, offsetX)));
      gl.uniform2f(u.size, frameSize.width, frameSize.height);
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    },
    destroy() {
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    },
  };
}
