/**
 * The candidate gate (`nuc.training.gate`): after its closed-loop evaluation a model is a
 * `candidate` (it may ship) only if every gated track went well enough; otherwise it is `rejected`
 * with the reasons. Pure: the evaluation's results in, the verdict out.
 */
import type { TrainingConfig } from '../../runtime/index.ts';
import type { TrackResult } from './types.ts';

export type GateConfig = TrainingConfig['gate'];

export type Verdict = { status: 'candidate'; reasons: [] } | { status: 'rejected'; reasons: string[] };

/** The tracks to evaluate on: the configured ones, then any the gate names that they lack. */
export function evaluationTracks(evalTracks: readonly string[], gate: GateConfig): string[] {
  return [...new Set([...evalTracks, ...gate.tracks])];
}

/** A track the gate names matches a result by what was asked for (name or file) or by the track's own name. */
function resultFor(results: readonly TrackResult[], track: string): TrackResult | undefined {
  return results.find((r) => r.source === track) ?? results.find((r) => r.track === track);
}

export function judge(gate: GateConfig, evalTracks: readonly string[], results: readonly TrackResult[]): Verdict {
  const gated = gate.tracks.length > 0 ? gate.tracks : evalTracks;
  const reasons: string[] = [];
  for (const track of gated) {
    const result = resultFor(results, track);
    if (!result) {
      reasons.push(`${track}: not evaluated`);
      continue;
    }
    if (result.lapsCompleted < gate.minCleanLaps) reasons.push(`${result.track}: ${result.lapsCompleted} clean lap${result.lapsCompleted === 1 ? '' : 's'} of ${result.lapsAttempted}, the gate needs ${gate.minCleanLaps}`);
    if (gate.rejectOffTrack && result.endReason === 'off-track') reasons.push(`${result.track}: the run ended off the track`);
  }
  return reasons.length === 0 ? { status: 'candidate', reasons: [] } : { status: 'rejected', reasons };
}
