import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, encode } from '../codec.ts';
import { ClientSecurity } from './client.ts';
import { BusGate } from './gate.ts';
import { generateKeyPair } from './keys.ts';
import type { Identity, PairedClient } from './roles.ts';

const server = generateKeyPair();
function peer(identity: Identity): { client: PairedClient; security: ClientSecurity } {
  const pair = generateKeyPair();
  return { client: { ...identity, publicKey: pair.publicKey }, security: new ClientSecurity({ ...pair, serverKey: server.publicKey }) };
}
const wheel = peer({ name: 'wheel', role: 'nuc', service: 'wheel' });
const serverService = peer({ name: 'server', role: 'nuc', service: 'server' });
const viewer = peer({ name: 'phone', role: 'viewer' });
const options = { limits: DEFAULT_LIMITS, releaseHintIntervalMs: 1000 };
const gateFor = (...clients: PairedClient[]) => new BusGate(options, { serverSecretKey: server.secretKey, clients });
const controlParts = () => encode<'control'>('car/1/control', 0, { angle: 0.1, throttle: 0.2 });
const sealedBy = (security: ClientSecurity, parts: Buffer[]) => [...parts, security.sealer.seal(parts)];

describe('the proxy gate', () => {
  it('forwards a sealed message from a permitted key without its seal', () => {
    const parts = controlParts();
    const admission = gateFor(wheel.client).admit(sealedBy(wheel.security, parts), 0);
    expect(admission).toMatchObject({ ok: true, sender: { name: 'wheel' } });
    if (admission.ok) expect(admission.parts).toEqual(parts);
  });

  it('refuses an unsealed message, a stranger\'s seal, a seal over other content, and a removed key', () => {
    const gate = gateFor(wheel.client, viewer.client);
    const stranger = peer({ name: 'x', role: 'nuc', service: 'wheel' });
    expect(gate.admit(controlParts(), 0)).toMatchObject({ ok: false, reason: 'unsealed' });
    expect(gate.admit(sealedBy(stranger.security, controlParts()), 0)).toMatchObject({ ok: false, reason: 'unknown-key' });
    const tampered = sealedBy(wheel.security, controlParts());
    tampered[1] = Buffer.from(tampered[1]!.toString().replace('0.2', '0.9'));
    expect(gate.admit(tampered, 0)).toMatchObject({ ok: false, reason: 'bad-seal', sender: { name: 'wheel' } });
    // a viewer's seal on the wheel's key name is no use: the seal names the key, and the viewer's key gives another MAC
    const borrowed = sealedBy(viewer.security, controlParts());
    borrowed[borrowed.length - 1]!.set(Buffer.from(wheel.security.sealer.seal([Buffer.alloc(0)]).subarray(1, 33)), 1);
    expect(gate.admit(borrowed, 0)).toMatchObject({ ok: false, reason: 'bad-seal' });
    gate.setClients([viewer.client]);
    expect(gate.admit(sealedBy(wheel.security, controlParts()), 0)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('checks the decoded message against the sender\'s role', () => {
    const gate = gateFor(viewer.client);
    expect(gate.admit(sealedBy(viewer.security, controlParts()), 0)).toMatchObject({ ok: false, reason: 'no-control-authority', sender: { name: 'phone' } });
  });

  it('lets one release hint through per interval', () => {
    const gate = gateFor(serverService.client);
    const hint = () => sealedBy(serverService.security, encode<'release'>('nuc/ota/release', 0, { timestamp: 3 }));
    expect(gate.admit(hint(), 10_000).ok).toBe(true);
    expect(gate.admit(hint(), 10_500)).toMatchObject({ ok: false, reason: 'release-rate' });
    expect(gate.admit(hint(), 11_000).ok).toBe(true);
  });

  it('checks messages without security too, when the bus runs without it', () => {
    const gate = new BusGate(options);
    expect(gate.admit(controlParts(), 0).ok).toBe(true);
    expect(gate.admit([Buffer.from('car/1/control'), Buffer.from('{}')], 0)).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('applies a subscription only when sealed by a key that may read every topic it reaches', () => {
    const gate = gateFor(viewer.client, wheel.client);
    const sealedSub = (security: ClientSecurity, prefix: string, subscribe = true) => [security.sealer.subscription(prefix, subscribe)];
    expect(gate.admitSubscription(sealedSub(viewer.security, 'car/1/frame'))).toMatchObject({ apply: 'subscribe', sender: { name: 'phone' } });
    expect(gate.admitSubscription(sealedSub(viewer.security, 'car/'))).toMatchObject({ apply: 'none', reason: 'subscription-not-permitted' });
    expect(gate.admitSubscription(sealedSub(wheel.security, 'car/'))).toMatchObject({ apply: 'subscribe' });
    expect(gate.admitSubscription([Buffer.from('\x01car/1/frame')])).toMatchObject({ apply: 'none', reason: 'subscription-unsealed' });
    expect(gate.admitSubscription(sealedSub(peer({ name: 'y', role: 'viewer' }).security, 'car/1/frame'))).toMatchObject({ apply: 'none', reason: 'subscription-unknown-key' });
    const forged = sealedSub(viewer.security, 'car/1/frame')[0]!;
    forged.write('car/1/agent', 1);
    expect(gate.admitSubscription([forged])).toMatchObject({ apply: 'none', reason: 'subscription-bad-seal' });
    // cancellations: applied when sealed, never counted otherwise (a closing socket sends them itself)
    expect(gate.admitSubscription(sealedSub(viewer.security, 'car/1/frame', false))).toMatchObject({ apply: 'unsubscribe' });
    expect(gate.admitSubscription([Buffer.from('\x00car/1/frame')])).toEqual({ apply: 'none' });
    // anything else an XPUB socket can hand over means its record of who sent what may be off
    expect(gate.admitSubscription([Buffer.from('hello')])).toEqual({ apply: 'junk' });
    expect(gate.admitSubscription([Buffer.alloc(0)])).toEqual({ apply: 'junk' });
    expect(gate.admitSubscription([Buffer.from('\x01a'), Buffer.from('b')])).toEqual({ apply: 'junk' });
  });
});
