/**
 * Whether the car can be heard: the NUC passes on its telemetry (20 times a second) and its video.
 * When nothing of the car's arrives for a second while the NUC itself is reachable, the car's link
 * to the NUC is gone (a partition on the track Wi-Fi, the car off); the driver's screen says so and
 * for how long. Pure: the page passes the times.
 */

/** silence from the car longer than this is a lost link, not a late message */
export const LINK_LOST_AFTER_MS = 1000;

export interface LinkLoss {
  /** since the car was last heard, ms */
  lostForMs: number;
}

/** undefined while the car is heard (or was never heard: there is no link to lose yet) */
export function carLinkLoss(lastHeardAt: number | undefined, now: number): LinkLoss | undefined {
  if (lastHeardAt === undefined) return undefined;
  const silentFor = now - lastHeardAt;
  return silentFor > LINK_LOST_AFTER_MS ? { lostForMs: silentFor } : undefined;
}

/** "link lost · 4 s", rounding down, so the count starts at the second it became a loss */
export function formatLinkLoss(loss: LinkLoss): string {
  return `${Math.floor(loss.lostForMs / 1000)} s`;
}
