/**
 * What a service is: a named unit started in its own process by the runner, given a context, and
 * stopped on SIGTERM. Car and NUC services implement `ServiceDefinition`.
 */
import type { Logger } from 'pino';
import type { BusEndpoints, ServiceMetrics } from '../protocol/index.ts';
import type { PlatformConfig } from './config-schema.ts';
import type { Guard } from './guard.ts';

export type ServiceScope = 'car' | 'nuc';

export interface ServiceContext {
  scope: ServiceScope;
  name: string;
  /** set for car services */
  carId: string | undefined;
  config: PlatformConfig;
  log: Logger;
  metrics: ServiceMetrics;
  /** the owner of the service's timers, bus handlers and background promises: a throw is logged and counted, never fatal */
  guard: Guard;
  /** the bus this service lives on: the car-local proxy for car services, the NUC proxy for NUC services */
  bus: BusEndpoints;
  /** the NUC's bus as a car reaches it (used by the uplink bridge) */
  nucBus: BusEndpoints;
  /** a directory for this car's sockets and run state (car services) or the NUC's (NUC services) */
  runDir: string;
  /** aborted when the service is asked to stop */
  signal: AbortSignal;
  /** a positive health signal: the supervisor (and an update agent) waits for it */
  ready(detail?: Record<string, unknown>): void;
}

export interface RunningService {
  stop(): Promise<void>;
}

export interface ServiceDefinition {
  name: string;
  description: string;
  start(context: ServiceContext): Promise<RunningService>;
}

/** Registry entry: loaded lazily so a process imports only its own service's dependencies. */
export interface ServiceEntry {
  name: string;
  load(): Promise<ServiceDefinition>;
  /** whether this configuration runs the service (e.g. the simulator only for a simulated car) */
  enabled?(config: PlatformConfig): boolean;
}
