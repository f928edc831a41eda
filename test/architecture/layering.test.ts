/**
 * The rooms and which way their imports point (README, Layout): every import, re-export and
 * dynamic import of every non-test .ts file, and of the dashboard's .vue scripts, read with the
 * TypeScript parser, checked against the rules below. A failure lists each violation as
 * `file → imported file: rule`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The code rooms, bottom to top: each may import only rooms below it (and the rooms of its own layer, as the rules allow). */
const LAYERS: readonly (readonly string[])[] = [['protocol'], ['runtime'], ['model', 'world', 'tub'], ['car', 'nuc', 'trainer', 'deploy', 'image'], ['launcher']];
const ROOMS = LAYERS.flat();


export interface ImportEdge {
  /** the importing file, relative to the repository root */
  from: string;
  /** the imported file, relative to the repository root */
  to: string;
  /** `import type` / `export type`: erased, nothing is loaded */
  typeOnly: boolean;
  /** `import('…')` */
  dynamic: boolean;
}

function isTestFile(file: string): boolean {
  return /\.test\.ts$/.test(file);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, relative), { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(child);
      } else if (/\.(ts|vue)$/.test(entry.name) && !isTestFile(entry.name)) {
        out.push(child);
      }
    }
  };
  if (fs.existsSync(path.join(ROOT, dir))) walk(dir);
  return out;
}

function parse(file: string): ts.SourceFile {
  let text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  if (file.endsWith('.vue')) text = [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** The relative imports of one file, resolved to repository paths. */
export function importsOf(file: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean, dynamic: boolean): void => {
    if (!specifier.startsWith('.')) return;
    edges.push({ from: file, to: path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)), typeOnly, dynamic });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const allTypes = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) && !clause.name && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, Boolean(clause?.isTypeOnly || allTypes), false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const allTypes = node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, Boolean(node.isTypeOnly || allTypes), false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      add(node.arguments[0].text, false, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(parse(file));
  return edges;
}

/** Declares types and nothing else: importing it loads no code. */
export function isTypeOnlyFile(file: string): boolean {
  return parse(file).statements.every(
    (s) =>
      ts.isInterfaceDeclaration(s) ||
      ts.isTypeAliasDeclaration(s) ||
      (ts.isImportDeclaration(s) && Boolean(s.importClause?.isTypeOnly)) ||
      (ts.isExportDeclaration(s) && s.isTypeOnly),
  );
}

const roomOf = (file: string): string => file.split('/')[0]!;
const layerOf = (room: string): number => LAYERS.findIndex((layer) => layer.includes(room));
const folderOf = (file: string): string => path.posix.dirname(file);

type Rule = (edge: ImportEdge) => string | undefined;

/** Each rule names what it forbids, or says nothing. */
export const RULES: readonly Rule[] = [
  // imports point down: protocol ← runtime ← model ← {car, nuc, trainer, deploy, image} ← launcher
  ({ from, to }) => {
    const [a, b] = [roomOf(from), roomOf(to)];
    if (!ROOMS.includes(a) || !ROOMS.includes(b) || a === b) return undefined;
    return layerOf(b) > layerOf(a) ? `${a}/ imports ${b}/, a room above it` : undefined;
  },
  ({ from, to }) => (ROOMS.includes(roomOf(from)) && roomOf(to) === 'test' ? 'production code never imports test/ (test helpers stay with the tests)' : undefined),
  ({ from, to }) => (roomOf(from) === 'car' && ['trainer', 'nuc'].includes(roomOf(to)) ? `car/ never imports ${roomOf(to)}/ (the pilot loads model/, not the trainer)` : undefined),
  // the agent takes the release contract from protocol/, never deploy's publishing code
  ({ from, to }) => (roomOf(from) === 'car' && roomOf(to) === 'deploy' ? 'car/ never imports deploy/ (the release manifest is in protocol/)' : undefined),
  // what the car and the NUC share (the simulated world, the tub format) lives below both
  ({ from, to }) => (roomOf(from) === 'nuc' && roomOf(to) === 'car' ? 'nuc/ never imports car/ (what both use belongs in a room below them: world/, tub/)' : undefined),
  ({ from, to }) => (roomOf(from) === 'deploy' && roomOf(to) === 'nuc' ? 'deploy/ never imports nuc/' : undefined),
  ({ from, to }) => (roomOf(to) === 'dashboard' && roomOf(from) !== 'dashboard' ? 'only the dashboard imports dashboard/ (the server serves its build)' : undefined),
  // the dashboard is a browser app: from the server it takes types, never code
  (edge) => {
    if (roomOf(edge.from) !== 'dashboard' || roomOf(edge.to) === 'dashboard') return undefined;
    if (!edge.typeOnly) return 'dashboard/ imports code from outside it (only `import type` of type-only files)';
    return isTypeOnlyFile(edge.to) ? undefined : 'dashboard/ imports a file that is not type-only';
  },
  // a folder's index.ts is its public face; a subfolder may use its parent's files
  ({ from, to, dynamic }) => {
    if (!ROOMS.includes(roomOf(from)) || !ROOMS.includes(roomOf(to)) || !to.endsWith('.ts')) return undefined;
    const [mine, theirs] = [folderOf(from), folderOf(to)];
    if (mine === theirs || mine.startsWith(`${theirs}/`) || path.posix.basename(to) === 'index.ts') return undefined;
    // a service registry loads each service's entry point lazily (car/services.ts, nuc/services.ts)
    if (dynamic && path.posix.basename(to) === 'service.ts') return undefined;
    return `${theirs}/ is entered only through its index.ts`;
  },
];

/** Each broken rule once per importing file and imported file. */
export function violations(edges: readonly ImportEdge[]): string[] {
  const found = edges.flatMap((edge) => RULES.map((rule) => rule(edge)).filter((v) => v !== undefined).map((rule) => `${edge.from} → ${edge.to}: ${rule}`));
  return [...new Set(found)];
}

/** Groups of files that import each other around a circle (Tarjan's strongly connected components). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (stack.includes(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group = stack.splice(stack.indexOf(file));
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

function allEdges(): ImportEdge[] {
  return [...ROOMS.flatMap(sourceFiles), ...sourceFiles('dashboard/src')].flatMap(importsOf);
}

describe('layering', () => {
  it('every import points down the layers and enters a folder through its index.ts', () => {
    const found = violations(allEdges());
    expect(found, 'imports that break the layering').toEqual([]);
  });

  it('has no import circles (a registry\'s lazy load counts)', () => {
    expect(importCycles(allEdges())).toEqual([]);
  });

  it('reads every kind of import, and the rules catch each kind of violation', () => {
    const edge = (from: string, to: string, extra: Partial<ImportEdge> = {}): ImportEdge => ({ from, to, typeOnly: false, dynamic: false, ...extra });
    expect(violations([edge('protocol/codec.ts', 'runtime/index.ts')])).toEqual(['protocol/codec.ts → runtime/index.ts: protocol/ imports runtime/, a room above it']);
    expect(violations([edge('runtime/paths.ts', 'model/index.ts')])).toHaveLength(1);
    expect(violations([edge('model/files.ts', 'car/index.ts')])).toHaveLength(1);
    expect(violations([edge('car/pilot/model-pilot.ts', 'trainer/index.ts')])).toEqual([
      'car/pilot/model-pilot.ts → trainer/index.ts: car/ never imports trainer/ (the pilot loads model/, not the trainer)',
    ]);
    expect(violations([edge('car/agent/service.ts', 'deploy/index.ts')])).toHaveLength(1);
    expect(violations([edge('nuc/server/app.ts', 'car/sim/index.ts')])).toHaveLength(1);
    expect(violations([edge('deploy/release.ts', 'launcher/index.ts')])).toHaveLength(1);
    expect(violations([edge('deploy/release.ts', 'nuc/ota/index.ts')])).toHaveLength(1);
    expect(violations([edge('car/pilot/service.ts', 'car/agent/journal.ts')])).toEqual(['car/pilot/service.ts → car/agent/journal.ts: car/agent/ is entered only through its index.ts']);
    expect(violations([edge('car/agent/service.ts', 'car/updatable-services.ts'), edge('trainer/parallel/helper-process.ts', 'trainer/models.ts')])).toEqual([]);
    expect(violations([edge('car/services.ts', 'car/pilot/service.ts', { dynamic: true })])).toEqual([]);
    expect(violations([edge('dashboard/src/live.ts', 'nuc/server/sockets.ts')])).toHaveLength(1);
    expect(violations([edge('dashboard/src/live.ts', 'nuc/server/sockets.ts', { typeOnly: true })])).toEqual(['dashboard/src/live.ts → nuc/server/sockets.ts: dashboard/ imports a file that is not type-only']);
    expect(isTypeOnlyFile('runtime/service.ts')).toBe(true);
    expect(isTypeOnlyFile('runtime/paths.ts')).toBe(false);

    expect(importCycles([edge('car/services.ts', 'car/agent/service.ts', { dynamic: true }), edge('car/agent/service.ts', 'car/services.ts')])).toEqual([['car/agent/service.ts', 'car/services.ts']]);

    const kinds = importsOf('car/services.ts');
    expect(kinds).toContainEqual({ from: 'car/services.ts', to: 'runtime/index.ts', typeOnly: true, dynamic: false });
    expect(kinds).toContainEqual({ from: 'car/services.ts', to: 'car/pilot/service.ts', typeOnly: false, dynamic: true });
    expect(importsOf('model/index.ts').map((e) => e.to)).toContain('model/files.ts');
  });
});
