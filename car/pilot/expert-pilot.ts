/**
 * The simulator's expert as a pilot: pure pursuit on the track's centerline, from the pose the
 * simulator publishes. A stand-in for a trained model in the demo, and a source of training laps.
 */
import type { Pilot, PilotInput, PilotOutput } from './pilot.ts';
import { createExpert, loadTrack } from '../../world/index.ts';

export function createExpertPilot(trackName: string): Pilot {
  const expert = createExpert(loadTrack(trackName));
  return {
    name: 'expert',
    kind: 'expert',
    infer(input: PilotInput): PilotOutput {
      // Without a pose (a real car) the expert has nothing to go on: stop, never guess.
      if (!input.sim) return { angle: 0, throttle: 0 };
      return expert(input.sim);
    },
  };
}
