/**
 * The dashboard's few pages, routed by the path so a page can be linked and reloaded (the server
 * falls back to index.html). Pure matching plus a small reactive wrapper around history.
 */
import { ref, type Ref } from 'vue';

export type Route =
  | { name: 'cars' }
  | { name: 'fleet' }
  | { name: 'training' }
  | { name: 'race' }
  | { name: 'timekeeper' }
  | { name: 'overlay' }
  | { name: 'result'; id: number }
  | { name: 'competition'; id: number }
  | { name: 'tub'; tub: string }
  | { name: 'drive'; car: string }
  | { name: 'watch'; car: string }
  | { name: 'calibrate'; car: string }
  | { name: 'not-found'; path: string };

const CAR = '([A-Za-z0-9_-]{1,32})';
const TUB = '([A-Za-z0-9][A-Za-z0-9._-]{0,127})';
const PATTERNS: [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/?$/, () => ({ name: 'cars' })],
  [/^\/fleet\/?$/, () => ({ name: 'fleet' })],
  [/^\/training\/?$/, () => ({ name: 'training' })],
  [/^\/race\/?$/, () => ({ name: 'race' })],
  [/^\/timekeeper\/?$/, () => ({ name: 'timekeeper' })],
  [/^\/overlay\/?$/, () => ({ name: 'overlay' })],
  [/^\/results\/([1-9][0-9]{0,12})\/?$/, (m) => ({ name: 'result', id: Number(m[1]) })],
  [/^\/results\/competition\/([1-9][0-9]{0,12})\/?$/, (m) => ({ name: 'competition', id: Number(m[1]) })],
  [new RegExp(`^/training/tubs/${TUB}/?$`), (m) => ({ name: 'tub', tub: m[1]! })],
  [new RegExp(`^/drive/${CAR}/?$`), (m) => ({ name: 'drive', car: m[1]! })],
  [new RegExp(`^/watch/${CAR}/?$`), (m) => ({ name: 'watch', car: m[1]! })],
  [new RegExp(`^/calibrate/${CAR}/?$`), (m) => ({ name: 'calibrate', car: m[1]! })],
];

export function matchRoute(path: string): Route {
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(path);
    if (match) return build(match);
  }
  return { name: 'not-found', path };
}

export function routePath(route: Route): string {
  switch (route.name) {
    case 'cars':
      return '/';
    case 'fleet':
      return '/fleet';
    case 'training':
      return '/training';
    case 'race':
      return '/race';
    case 'timekeeper':
      return '/timekeeper';
    case 'overlay':
      return '/overlay';
    case 'result':
      return `/results/${route.id}`;
    case 'competition':
      return `/results/competition/${route.id}`;
    case 'tub':
      return `/training/tubs/${route.tub}`;
    case 'drive':
      return `/drive/${route.car}`;
    case 'watch':
      return `/watch/${route.car}`;
    case 'calibrate':
      return `/calibrate/${route.car}`;
    case 'not-found':
      return route.path;
  }
}

let current: Ref<Route> | undefined;

/** The current route, kept in step with the address bar. */
export function useRoute(): Ref<Route> {
  if (!current) {
    const route = ref<Route>(matchRoute(window.location.pathname));
    window.addEventListener('popstate', () => (route.value = matchRoute(window.location.pathname)));
    current = route;
  }
  return current;
}

export function navigate(route: Route): void {
  window.history.pushState(null, '', routePath(route));
  useRoute().value = route;
}
