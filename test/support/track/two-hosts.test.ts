import { describe, expect, it } from 'vitest';
import { parseConnections } from './two-hosts.ts';

describe("reading the car's connections from ss", () => {
  it('takes each connection line and the counters on the line after it', () => {
    const output = [
      '0      0      10.42.0.2:41234 10.42.0.1:5559',
      '\t cubic wscale:7,7 rto:232 rtt:31.2/4.1 bytes_sent:900 bytes_acked:901 bytes_received:52100 segs_out:410 segs_in:433 data_segs_in:300',
      '0      0      10.42.0.2:41240 10.42.0.1:5559',
      '\t cubic rto:240 bytes_acked:1 bytes_received:12 segs_out:3 segs_in:2',
      '',
    ].join('\n');
    expect(parseConnections(output)).toEqual([
      { port: 41234, bytesReceived: 52100, segmentsIn: 433, bytesAcked: 901, segmentsOut: 410 },
      { port: 41240, bytesReceived: 12, segmentsIn: 2, bytesAcked: 1, segmentsOut: 3 },
    ]);
    expect(parseConnections('')).toEqual([]);
  });
});
