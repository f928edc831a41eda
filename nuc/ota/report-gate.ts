/**
 * What an agent report must pass before it may touch the rollout records: it names a release this
 * NUC published (or none yet), and its car writes at most a burst of state changes and then a few
 * a second. A forged or looping agent can therefore neither invent history that one-click rollback
 * would re-publish nor fill the database; the real agent repeats its state every second, so a
 * change held back by the limit is written with a later report.
 */
import type { OtaDb } from './ota-db.ts';
import { reportedVersion, type AgentReportFields } from './rollout-recorder.ts';

export type ReportRefusal = 'unknown_release' | 'rate';

export interface ReportGateOptions {
  /** state writes a car may make at once */
  burst?: number;
  /** state writes a car regains per second */
  perSecond?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class AgentReportGate {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly perSecond: number;
  readonly refused: Record<ReportRefusal, number> = { unknown_release: 0, rate: 0 };

  constructor(
    private readonly db: OtaDb,
    options: ReportGateOptions = {},
  ) {
    this.burst = options.burst ?? 20;
    this.perSecond = options.perSecond ?? 2;
  }

  /** undefined: record it; else why not (counted). Heartbeats that change nothing should not be passed here. */
  admit(car: string, report: AgentReportFields, now: number): ReportRefusal | undefined {
    const version = reportedVersion(report);
    if (version !== undefined && !this.db.release(version)) return this.refuse('unknown_release');
    const bucket = this.buckets.get(car) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(car, bucket);
    if (bucket.tokens < 1) return this.refuse('rate');
    bucket.tokens -= 1;
    return undefined;
  }

  /** Forgets a car gone silent. */
  forget(car: string): void {
    this.buckets.delete(car);
  }

  private refuse(reason: ReportRefusal): ReportRefusal {
    this.refused[reason]++;
    return reason;
  }
}
