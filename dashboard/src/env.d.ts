/** For the plain TypeScript check (tsc): .vue files are checked by vue-tsc with dashboard/tsconfig.json. */
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<Record<string, unknown>, object, unknown>;
  export default component;
}
