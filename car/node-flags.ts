/**
 * The node flags each car service runs with, after the runner's own (the launcher and the agent
 * both add them). LEAN runs JavaScript in V8's interpreter only (no Sparkplug, Maglev or TurboFan
 * code): 5-9 MB less per process, for the services whose JavaScript does little per message
 * (forwarding, checking, writing a register, splitting an MJPEG stream with Buffer.indexOf).
 * WebAssembly still compiles (`fetch` parses HTTP with it), which `--lite-mode` and `--jitless`
 * would switch off. The pilot keeps the full JIT: its per-frame work would take three times the CPU.
 */
const LEAN: readonly string[] = ['--no-opt', '--no-maglev', '--no-sparkplug'];
const LEAN_SERVICES: ReadonlySet<string> = new Set(['proxy', 'uplink', 'sim', 'actuator', 'camera', 'agent']);

export function nodeFlagsOf(service: string): readonly string[] {
  return LEAN_SERVICES.has(service) ? LEAN : [];
}
