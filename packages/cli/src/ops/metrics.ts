/**
 * Prometheus metrics and health checks for the long-running modes, with prom-client (the
 * ecosystem's maintained client: exposition format, default process metrics, histograms). A
 * process that is given --metrics-port serves, on loopback unless told otherwise:
 *
 * - `/metrics`: Prometheus' text format;
 * - `/healthz`: 200 while the process works; 503 once it has given up on a service;
 * - `/readyz`: 200 once connected and consuming; 503 while it waits for a service (retrying).
 *
 * Labels stay bounded: topic, partition, table, task, status, kind; never a key or a value.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type promClientModule from 'prom-client';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DriverError,
  isEtlError,
  UsageError,
  type ApplyBatchStats,
  type BatchStats,
  type SentBatch,
  type TaskRecord,
} from '@etl/core';
import { buildInfo } from '../version.js';

/** The kind of an error, as a bounded label: a driver error's kind, else etl's error kind. */
export function errorKind(error: unknown): string {
  if (error instanceof DriverError) return error.driverKind;
  return isEtlError(error) ? error.kind : 'other';
}

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');

/** What /healthz and /readyz answer. */
export class Health {
  private readyNow = false;
  private waiting: string | undefined;
  private failed: string | undefined;

  ready(): void {
    this.readyNow = true;
    this.waiting = undefined;
  }
  /** Retrying a service: not ready until the next success. */
  wait(reason: string): void {
    this.waiting = reason;
  }
  /** Given up (the process is about to exit): unhealthy. */
  fail(reason: string): void {
    this.failed = reason;
    this.readyNow = false;
  }
  get healthz(): { ok: boolean; text: string } {
    return this.failed === undefined ? { ok: true, text: 'ok' } : { ok: false, text: this.failed };
  }
  get readyz(): { ok: boolean; text: string } {
    if (this.failed !== undefined) return { ok: false, text: this.failed };
    if (this.waiting !== undefined) return { ok: false, text: this.waiting };
    return this.readyNow ? { ok: true, text: 'ready' } : { ok: false, text: 'starting' };
  }
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** prom-client, loaded when a command first counts something (most commands never do). */
const prom = (): typeof promClientModule => createRequire(import.meta.url)('prom-client') as typeof promClientModule;

/** A registry with the process metrics and the ones every mode shares. */
export class EtlMetrics {
  readonly registry: Registry = new (prom().Registry)();
  readonly health = new Health();
  readonly errors: Counter<'kind'>;

  constructor(readonly mode: string) {
    prom().collectDefaultMetrics({ register: this.registry });
    // Gauges the library also names with a counter's suffix (promtool refuses them); the same
    // values stay as nodejs_active_handles, nodejs_active_requests, nodejs_active_resources.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);
    const info = new (prom().Gauge)({
      name: 'etl_build_info',
      help: 'Always 1: the version and commit of etl, and the mode this process runs.',
      labelNames: ['version', 'commit', 'mode'],
      registers: [this.registry],
    });
    const { version } = JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string };
    info.set({ version, commit: buildInfo()?.commit ?? 'unknown', mode }, 1);
    this.errors = new (prom().Counter)({
      name: 'etl_errors_total',
      help: 'Errors met (retried or not), by the kind of driver error.',
      labelNames: ['kind'],
      registers: [this.registry],
    });
  }

  error(error: unknown): void {
    this.errors.inc({ kind: errorKind(error) });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new (prom().Counter)({ name, help, labelNames, registers: [this.registry] });
  }
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new (prom().Gauge)({ name, help, labelNames, registers: [this.registry] });
  }
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new (prom().Histogram)({ name, help, labelNames, buckets: SECONDS_BUCKETS, registers: [this.registry] });
  }
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves /metrics, /healthz and /readyz; `port` 0 takes any free port. */
export function serveMetrics(metrics: EtlMetrics, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => send(200, metrics.registry.contentType, text))
        .catch((error: unknown) => send(500, 'text/plain', `${String(error)}\n`));
      return undefined;
    }
    if (path === '/healthz' || path === '/readyz') {
      const state = path === '/healthz' ? metrics.health.healthz : metrics.health.readyz;
      return send(state.ok ? 200 : 503, 'text/plain; charset=utf-8', `${state.text}\n`);
    }
    return send(404, 'text/plain', 'Not found: /metrics, /healthz, /readyz\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${bound}/metrics`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/** `etl stream`: what it read, stored and dead-lettered, its batches, its lag per partition. */
export function streamMetrics(m: EtlMetrics): (b: BatchStats) => void {
  const read = m.counter('etl_stream_records_read_total', 'Records read from Kafka.', ['topic']);
  const stored = m.counter(
    'etl_stream_records_stored_total',
    'Events stored in PostgreSQL (a redelivered record is not counted twice).',
    ['topic'],
  );
  const dead = m.counter('etl_stream_dead_letters_total', 'Records stored as dead letters, by the kind of fault.', [
    'topic',
    'reason',
  ]);
  const batches = m.counter('etl_stream_batches_total', 'Batches stored, each in one transaction.', ['topic']);
  const duration = m.histogram('etl_stream_batch_duration_seconds', 'Time to store one batch.', ['topic']);
  const lag = m.gauge('etl_stream_consumer_lag', 'Records of the partition not stored yet.', ['topic', 'partition']);
  return (b) => {
    read.inc({ topic: b.topic }, b.records);
    stored.inc({ topic: b.topic }, b.stored);
    for (const reason of b.deadLetters) dead.inc({ topic: b.topic, reason });
    batches.inc({ topic: b.topic });
    duration.observe({ topic: b.topic }, b.seconds);
    if (b.lag !== undefined) lag.set({ topic: b.topic, partition: String(b.partition) }, b.lag);
    m.health.ready();
  };
}

/** `etl cdc apply`: changes applied per table, batches, lag per partition, commit to visible. */
export function applyMetrics(m: EtlMetrics, clock: () => number = Date.now): (b: ApplyBatchStats) => void {
  const changes = m.counter('etl_cdc_apply_changes_total', 'Changes applied to the MySQL replicas.', ['table']);
  const batches = m.counter('etl_cdc_apply_batches_total', 'Batches applied, each in one transaction.', ['topic']);
  const duration = m.histogram('etl_cdc_apply_batch_duration_seconds', 'Time to apply one batch.', ['topic']);
  const lag = m.gauge('etl_cdc_apply_consumer_lag', 'Changes of the partition not applied yet.', [
    'topic',
    'partition',
  ]);
  const visible = m.histogram(
    'etl_cdc_commit_to_visible_seconds',
    'Seconds from a change’s commit in PostgreSQL to its being visible in MySQL.',
    [],
  );
  return (b) => {
    for (const [table, n] of Object.entries(b.tables)) changes.inc({ table }, n);
    batches.inc({ topic: b.topic });
    duration.observe({ topic: b.topic }, b.seconds);
    if (b.lag !== undefined) lag.set({ topic: b.topic, partition: String(b.partition) }, b.lag);
    const now = clock();
    for (const at of b.committed) {
      const ms = Date.parse(at);
      if (!Number.isNaN(ms)) visible.observe(Math.max(0, (now - ms) / 1000));
    }
    m.health.ready();
  };
}

/**
 * `etl cdc capture`: changes read from the slot and sent to Kafka, seconds from a commit to
 * Kafka's acknowledgement of its last change, the slot's confirmed position, and the WAL it
 * retains (read from PostgreSQL when scraped).
 */
export function captureMetrics(
  m: EtlMetrics,
  slot: () => Promise<{ readonly confirmedLsn: bigint | null; readonly retainedBytes: number } | undefined>,
  clock: () => number = Date.now,
): {
  readonly progress: (p: { readonly changes: number; readonly lsn: string }) => void;
  readonly sent: (batch: SentBatch) => void;
} {
  const read = m.counter('etl_cdc_capture_changes_read_total', 'Changes read from the replication slot.', []);
  const sent = m.counter('etl_cdc_capture_changes_sent_total', 'Changes Kafka acknowledged.', []);
  const acked = m.histogram(
    'etl_cdc_commit_to_kafka_ack_seconds',
    'Seconds from a transaction’s commit in PostgreSQL to Kafka’s acknowledgement of its changes.',
    [],
  );
  const position = m.gauge('etl_cdc_capture_commit_lsn_bytes', 'The last commit read, as a WAL position in bytes.', []);
  let last = 0;
  new (prom().Gauge)({
    name: 'etl_cdc_slot_retained_wal_bytes',
    help: 'Bytes of WAL PostgreSQL keeps for the slot (from restart_lsn to the current position).',
    registers: [m.registry],
    async collect() {
      const info = await slot().catch(() => undefined);
      if (info !== undefined) this.set(info.retainedBytes);
    },
  });
  new (prom().Gauge)({
    name: 'etl_cdc_slot_confirmed_lsn_bytes',
    help: 'The slot’s confirmed position (acknowledged after Kafka acknowledged), in bytes.',
    registers: [m.registry],
    async collect() {
      const info = await slot().catch(() => undefined);
      if (info !== undefined && info.confirmedLsn !== null) this.set(Number(info.confirmedLsn));
    },
  });
  return {
    progress: (p) => {
      read.inc(Math.max(0, p.changes - last));
      last = p.changes;
      position.set(lsnBytes(p.lsn));
      m.health.ready();
    },
    sent: (batch) => {
      sent.inc(batch.records);
      const now = clock();
      for (const at of batch.committed) acked.observe(Math.max(0, (now - at) / 1000));
    },
  };
}

/** `16/B374D848` → its byte position. */
export function lsnBytes(lsn: string): number {
  const [high, low] = lsn.split('/');
  return Number((BigInt(`0x${high ?? '0'}`) << 32n) + BigInt(`0x${low ?? '0'}`));
}

/** Starts the metrics server when --metrics-port was given (else nothing is counted); says where on stderr. */
export async function startMetrics(
  mode: string,
  flags: { readonly 'metrics-port'?: number | undefined; readonly 'metrics-host': string },
  say: (line: string) => void,
): Promise<{ readonly metrics: EtlMetrics | undefined; readonly close: () => Promise<void> }> {
  const port = flags['metrics-port'];
  if (port === undefined) return { metrics: undefined, close: async () => {} };
  const metrics = new EtlMetrics(mode);
  let server: MetricsServer;
  try {
    server = await serveMetrics(metrics, flags['metrics-host'], port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--metrics-port ${port}: ` +
        (code === 'EADDRINUSE' ? 'the port is in use' : `cannot listen (${code ?? String(error)})`),
      { hint: 'Choose another port with --metrics-port (or ETL_METRICS_PORT), or 0 for any free one.' },
    );
  }
  say(`Metrics on ${server.url} (health: /healthz, /readyz)`);
  return { metrics, close: () => server.close() };
}

/** `etl pipeline`: runs and tasks by status, task durations, each task's last success. */
export function pipelineMetrics(
  m: EtlMetrics,
  intervalSeconds: number | undefined,
): { readonly task: (t: TaskRecord) => void; readonly run: (status: string) => void } {
  const runs = m.counter('etl_pipeline_runs_total', 'Pipeline runs ended, by status.', ['status']);
  const tasks = m.counter('etl_pipeline_tasks_total', 'Pipeline tasks ended, by task and status.', ['task', 'status']);
  const duration = m.histogram('etl_pipeline_task_duration_seconds', 'How long each task took.', ['task']);
  const last = m.gauge(
    'etl_pipeline_task_last_success_timestamp_seconds',
    'When each task last succeeded (Unix time).',
    ['task'],
  );
  if (intervalSeconds !== undefined)
    m.gauge('etl_pipeline_schedule_interval_seconds', 'The interval of the schedule (--every, --cron).', []).set(
      intervalSeconds,
    );
  m.health.ready();
  return {
    task: (t) => {
      if (t.status === 'pending' || t.status === 'running') return;
      tasks.inc({ task: t.task, status: t.status });
      if (t.seconds !== null) duration.observe({ task: t.task }, t.seconds);
      if (t.status === 'succeeded') last.set({ task: t.task }, Date.now() / 1000);
    },
    run: (status) => runs.inc({ status }),
  };
}
