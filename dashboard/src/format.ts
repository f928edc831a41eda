/** Display formatting shared by the views. */

/** 83.456 → "1:23.456"; undefined → "–:––.–––". */
export function formatLap(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–:––.–––';
  const totalMs = Math.round(seconds * 1000);
  const minutes = Math.floor(totalMs / 60_000);
  const rest = (totalMs % 60_000) / 1000;
  return `${minutes}:${rest.toFixed(3).padStart(6, '0')}`;
}

/** -0.25 → "-25%"; the sign stays so left/right and forward/reverse read at a glance. */
export function formatPercent(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `${Math.round(value * 100)}%`;
}

/** 7.412 → "7.41 V"; undefined → "– V". */
export function formatVolts(volts: number | undefined): string {
  if (volts === undefined || !Number.isFinite(volts)) return '– V';
  return `${volts.toFixed(2)} V`;
}

/** 1.234 → "1.23 A"; undefined → "– A". */
export function formatAmps(amps: number | undefined): string {
  if (amps === undefined || !Number.isFinite(amps)) return '– A';
  return `${amps.toFixed(2)} A`;
}

export function clampUnit(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.max(-1, Math.min(1, value));
}
