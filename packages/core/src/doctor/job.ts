/**
 * `etl doctor`: ask every service who it is, in parallel, each with its own deadline.
 */
import { isEtlError } from '../errors.js';
import { redact } from '../redact.js';
import type { Privilege } from '../init/grants.js';
import type { ServiceInfo, ServiceName, ServiceProbe } from '../ports/index.js';

export interface ServiceReport {
  readonly service: ServiceName;
  readonly endpoint: string;
  readonly status: 'up' | 'down';
  readonly latencyMs: number;
  readonly version: string | null;
  readonly schemaVersion: number | null;
  readonly tables: Readonly<Record<string, number>>;
  readonly detail: string | null;
  /** Privileges etl needs that the configured user lacks here (empty when it has them all). */
  readonly missing: readonly Privilege[];
  readonly error: string | null;
  readonly hint: string | null;
}

export interface DoctorReport {
  /** Every service up and no privilege missing. */
  readonly ok: boolean;
  readonly services: readonly ServiceReport[];
}

export interface DoctorOptions {
  /** Monotonic clock in milliseconds. */
  readonly now: () => number;
  /** Secrets to scrub from any error text a driver produced. */
  readonly secrets?: readonly string[];
}

async function check(probe: ServiceProbe, options: DoctorOptions): Promise<ServiceReport> {
  const started = options.now();
  const base = { service: probe.service, endpoint: probe.endpoint };
  try {
    const info: ServiceInfo = await probe.describe();
    return {
      ...base,
      status: 'up',
      latencyMs: Math.round(options.now() - started),
      version: info.version,
      schemaVersion: info.schemaVersion ?? null,
      tables: info.tables ?? {},
      detail: info.detail ?? null,
      missing: info.missing ?? [],
      error: null,
      hint: null,
    };
  } catch (error) {
    if (!isEtlError(error) || error.exitCode !== 3) throw error;
    return {
      ...base,
      status: 'down',
      latencyMs: Math.round(options.now() - started),
      version: null,
      schemaVersion: null,
      tables: {},
      detail: null,
      missing: [],
      error: redact(error.message, options.secrets),
      hint: error.hint ?? null,
    };
  }
}

export async function runDoctor(probes: readonly ServiceProbe[], options: DoctorOptions): Promise<DoctorReport> {
  const services = await Promise.all(probes.map((probe) => check(probe, options)));
  return { ok: services.every((s) => s.status === 'up' && s.missing.length === 0), services };
}
