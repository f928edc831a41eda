/**
 * The shared track on the live sockets: the race (on connect, at every change, a few times a second
 * while it runs) to `/driver`, `/audience` and `/fleet`, and every car's pose for the track map to
 * `/driver` and `/audience` at MAP_HZ. Poses are volatile: a browser busy with video skips one
 * rather than queueing it.
 */
import { carColourHex } from '../../protocol/index.ts';
import type { RaceControl } from '../track/index.ts';
import type { LiveSockets } from './sockets.ts';
import type { MapPoses } from './wire.ts';

const MAP_HZ = 10;

export function attachTrackLive(live: LiveSockets, control: RaceControl): () => void {
  const driver = live.namespace('/driver');
  const audience = live.namespace('/audience');
  const fleet = live.namespace('/fleet');
  const race = () => control.current() ?? null;
  driver.on('connection', (socket) => socket.emit('race', race()));
  audience.on('connection', (socket) => socket.emit('race', race()));
  fleet.on('connection', (socket) => socket.emit('race', race()));
  const stopRace = control.onRace(() => {
    const view = race();
    driver.emit('race', view);
    audience.emit('race', view);
    fleet.emit('race', view);
  });
  const timer = setInterval(() => {
    if (driver.sockets.size === 0 && audience.sockets.size === 0) return;
    const poses: MapPoses = {
      track: control.geometry.name,
      cars: control.table.poses(Date.now()).map((p) => ({ car: p.car, x: p.x, y: p.y, heading: p.heading, colour: carColourHex(p.car) })),
    };
    driver.volatile.emit('poses', poses);
    audience.volatile.emit('poses', poses);
  }, 1000 / MAP_HZ);
  timer.unref();
  return () => {
    clearInterval(timer);
    stopRace();
  };
}
