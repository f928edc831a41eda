/**
 * Kernel modules for the guest, without depmod: Debian's kernel package ships no modules.dep (depmod
 * writes it at install), so each module's dependencies are read from its own `.modinfo` section
 * (`depends=a,b`), and a module list is put in load order, dependencies first.
 */

/** The kernel names modules with underscores; file names and `depends=` may use either. */
export function moduleName(fileOrName: string): string {
  const base = fileOrName.slice(fileOrName.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replaceAll('-', '_');
}

const DEPENDS = Buffer.from('\0depends=');

/** The `depends=` entry of a module's .modinfo, [] when it depends on nothing. */
export function readDepends(ko: Buffer): string[] {
  const at = ko.indexOf(DEPENDS);
  if (at < 0) throw new Error('not a kernel module: no depends= entry in its .modinfo');
  const start = at + DEPENDS.length;
  const end = ko.indexOf(0, start);
  const list = ko.toString('latin1', start, end < 0 ? ko.length : end);
  return list === '' ? [] : list.split(',').map(moduleName);
}

/**
 * Every module needed for `wanted`, each after its dependencies. `dependsOf` gives a module's direct
 * dependencies (by name) and throws for a module the kernel package does not have.
 */
export function loadOrder(wanted: readonly string[], dependsOf: (name: string) => readonly string[]): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: readonly string[]): void => {
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`module dependency cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dependency of dependsOf(name)) visit(dependency, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of wanted) visit(moduleName(name), []);
  return order;
}
