/** One measured figure. `bench` and `metric` names are a contract read by machines: keep them exact. */
export interface Metric {
  bench: string;
  metric: string;
  value: number;
  unit: string;
}

export interface Benchmark {
  /** the name given on the command line: `npm run bench -- <name>` */
  name: string;
  description: string;
  run(): Promise<Metric[]>;
}
