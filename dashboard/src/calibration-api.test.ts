import { describe, expect, it } from 'vitest';
import { clampCount, neutralCounts, saveProblem, steeringRange, throttleBand, type CalibrationReply } from './calibration-api.ts';

const reply = (over: Partial<CalibrationReply> = {}): CalibrationReply => ({
  car: '1',
  up: true,
  reportedMsAgo: 10,
  calibrating: true,
  estop: false,
  steeringCount: 375,
  throttleCount: 370,
  throttleCap: 80,
  saved: { steering: { leftCount: 460, rightCount: 290 }, throttle: { forwardCount: 500, stoppedCount: 370, reverseCount: 220 } },
  calibrationsSaved: 0,
  ...over,
});

describe('calibration page rules', () => {
  it('offers the throttle only within the actuator cap around stopped', () => {
    expect(throttleBand(reply())).toEqual({ min: 290, max: 450 });
    expect(throttleBand(reply({ throttleCap: null }))).toBeNull();
    expect(throttleBand(undefined)).toBeNull();
    expect(clampCount(600, { min: 290, max: 450 })).toBe(450);
    expect(clampCount(Number.NaN, { min: 290, max: 450 })).toBe(290);
    expect(clampCount(5000)).toBe(4095);
  });

  it('centres steering between the saved ends, with slack to find new ones', () => {
    expect(neutralCounts(reply())).toEqual({ steeringCount: 375, throttleCount: 370 });
    expect(steeringRange(reply())).toEqual({ min: 140, max: 610 });
    expect(steeringRange(undefined)).toEqual({ min: 0, max: 4095 });
  });

  it('names what the actuator would refuse in a save', () => {
    const good = { leftCount: 460, rightCount: 290, forwardCount: 500, stoppedCount: 370, reverseCount: 220 };
    expect(saveProblem(good)).toBeNull();
    expect(saveProblem({ ...good, forwardCount: 200, reverseCount: 520 })).toBeNull();
    expect(saveProblem({ ...good, rightCount: 460 })).toBe('left and right must differ');
    expect(saveProblem({ ...good, stoppedCount: 510 })).toBe('stopped 510 must lie strictly between reverse 220 and forward 500');
    expect(saveProblem({ ...good, leftCount: 4096 })).toBe('leftCount must be a whole count from 0 to 4095');
  });
});
