/** The dashboard's own types; what the NUC sends it is typed by the server's nuc/server/wire.ts. */
import type { DriveMode } from '../../nuc/server/wire.ts';

/** A Record, so a drive mode the server adds cannot be missed here; its order is the screen's. */
const MODES: Record<DriveMode, true> = { user: true, local_angle: true, local: true };
export const DRIVE_MODES: readonly DriveMode[] = Object.keys(MODES) as DriveMode[];

export type ConnectionState = 'connecting' | 'connected' | 'lost';
