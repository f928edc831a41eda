/** The calibration routes as the calibration page uses them: the real server through app.inject. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { busMessage, FakeFeed, serverBasics, telemetry } from '../../test/support/server-feed.ts';
import { buildNucServer, type NucServer } from './app.ts';
import type { CalibrateFields } from './calibrate-request.ts';
import type { CalibrationReply } from './wire.ts';

const TOKEN = 'calibration-token';
const auth = { authorization: `Bearer ${TOKEN}` };

let feed: FakeFeed;
let sent: [string, CalibrateFields][];
let nuc: NucServer;

function actuatorMetrics(gauges: Record<string, number>) {
  return busMessage<'metrics'>('car/1/metrics', { service: 'actuator', pid: 1, uptimeS: 1, rssBytes: 1, counters: { in: 0, out: 0, dropped: 0, droppedBy: {} }, loops: {}, gauges });
}

const post = (payload: unknown, headers: Record<string, string> = auth, car = '1') =>
  nuc.app.inject({ method: 'POST', url: `/api/cars/${car}/calibrate`, headers, payload: payload as object });

beforeEach(async () => {
  feed = new FakeFeed();
  sent = [];
  nuc = await buildNucServer({
    ...serverBasics(TOKEN, feed),
    calibrate: (car, fields) => sent.push([car, fields]),
  });
  feed.emit(busMessage<'telemetry'>('car/1/telemetry', telemetry()));
});

afterEach(async () => {
  await nuc.app.close();
});

describe('POST /api/cars/:id/calibrate', () => {
  it('sends enter, set, save and exit to the car as calibrate messages', async () => {
    const save = { action: 'save', steering: { leftCount: 290, rightCount: 480 }, throttle: { forwardCount: 400, stoppedCount: 372, reverseCount: 330 } };
    for (const body of [{ action: 'enter' }, { action: 'set', steeringCount: 300, throttleCount: 380 }, save, { action: 'exit' }]) {
      const response = await post(body);
      expect(response.statusCode).toBe(202);
      expect(response.json()).toEqual({ car: '1', sent: body });
    }
    expect(sent).toEqual([
      ['1', { action: 'enter' }],
      ['1', { action: 'set', steeringCount: 300, throttleCount: 380 }],
      ['1', save],
      ['1', { action: 'exit' }],
    ]);
  });

  it('needs the token', async () => {
    expect((await post({ action: 'enter' }, {})).statusCode).toBe(401);
    expect((await post({ action: 'enter' }, { authorization: 'Bearer wrong-token' })).statusCode).toBe(401);
    expect(sent).toEqual([]);
  });

  it('refuses a car that never reported, and malformed bodies, sending nothing', async () => {
    const unknown = await post({ action: 'enter' }, auth, '9');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toContain('no car "9"');
    for (const body of [
      { action: 'drive' },
      { action: 'set' },
      { action: 'set', steeringCount: 4096 },
      { action: 'set', throttleCount: -1 },
      { action: 'set', steeringCount: 1.5 },
      { action: 'enter', extra: true },
      { action: 'save', steering: { leftCount: 290, rightCount: 480 } },
      { action: 'save', steering: { leftCount: 290, rightCount: 480 }, throttle: { forwardCount: 400, stoppedCount: 372 } },
    ]) {
      const response = await post(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect(sent).toEqual([]);
  });
});

describe('GET /api/cars/:id/calibration', () => {
  it("answers the counts from the car's actuator gauges", async () => {
    expect((await nuc.app.inject('/api/cars/1/calibration')).statusCode).toBe(404);
    feed.emit(
      actuatorMetrics({
        calibrating: 1,
        estop: 0,
        steering_count: 300,
        throttle_count: 380,
        calibration_throttle_cap: 80,
        calibration_left: 290,
        calibration_right: 480,
        calibration_forward: 400,
        calibration_stopped: 372,
        calibration_reverse: 330,
        calibrations_saved: 1,
      }),
    );
    const reply = (await nuc.app.inject('/api/cars/1/calibration')).json<CalibrationReply>();
    expect(reply).toMatchObject({
      car: '1',
      up: true,
      calibrating: true,
      estop: false,
      steeringCount: 300,
      throttleCount: 380,
      throttleCap: 80,
      saved: { steering: { leftCount: 290, rightCount: 480 }, throttle: { forwardCount: 400, stoppedCount: 372, reverseCount: 330 } },
      calibrationsSaved: 1,
    });
  });

  it('a count the actuator has not written yet (or a nonsense gauge) is null', async () => {
    feed.emit(actuatorMetrics({ calibrating: 0, steering_count: -1, throttle_count: 9999.5 }));
    const reply = (await nuc.app.inject('/api/cars/1/calibration')).json<CalibrationReply>();
    expect(reply).toMatchObject({ calibrating: false, steeringCount: null, throttleCount: null, throttleCap: null });
    expect((await nuc.app.inject('/api/cars/9/calibration')).statusCode).toBe(404);
  });
});
