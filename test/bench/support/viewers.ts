/**
 * Audience clients for the `scale` benchmark, in their own process (the benchmark runs two, so the
 * clients use both cores and never stand in for a slow NUC): socket.io connections to `/audience`,
 * each watching one car and acknowledging every frame as a browser does, counting the frames of the
 * video it asked for. IPC: 'reset' zeroes the counts, 'report' answers {counts}.
 * argv: <base url> <raw|composited> <car>...   (one client per car argument)
 */
import { io, type Socket } from 'socket.io-client';

const [baseUrl, video, ...cars] = process.argv.slice(2) as [string, 'raw' | 'composited', ...string[]];
// The server's raw stand-in while its composite warms up is not composited video.
const wanted = video === 'raw' ? 'frame' : 'view';
const counts = cars.map(() => 0);
const sockets: Socket[] = cars.map((car, i) => {
  const socket = io(`${baseUrl}/audience`, { transports: ['websocket'], forceNew: true, reconnection: false });
  socket.on('frame', (header: { source: string }, _jpeg: unknown, ack?: () => void) => {
    if (header.source === wanted) counts[i]!++;
    ack?.();
  });
  socket.on('connect', () => socket.emit('watch', { car, video }));
  return socket;
});

process.on('message', (message) => {
  if (message === 'reset') counts.fill(0);
  else if (message === 'report') process.send?.({ counts: [...counts] });
});
process.send?.({ type: 'ready' });
process.on('SIGTERM', () => {
  for (const socket of sockets) socket.close();
  process.exit(0);
});
