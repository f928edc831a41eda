/**
 * libvips keeps the results of recent operations (up to 50 MB and 100 items by default): a camera
 * encoding a new frame 30 times a second, or a pilot decoding one, never asks for an old one again,
 * so on a car the cache only holds memory. Called by the services that use sharp on every frame.
 */
import sharp from 'sharp';

export function dropImageCaches(): void {
  sharp.cache(false);
}
