/**
 * The project's Kafka client: kafkajs configured with deadlines, bounded retries and its
 * logs routed to a callback (stderr in the CLI when debugging), never to stdout.
 */
import { lazyModule } from '@etl/core';
import type * as Kafkajs from 'kafkajs';
import type { Kafka, KafkaConfig, LogEntry } from 'kafkajs';

/** kafkajs, loaded by the first command that talks to Kafka (most never do). */
export const kafkajs = lazyModule<typeof Kafkajs>('kafkajs', import.meta.url);

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly connectTimeoutMs?: number;
  /** How many times a failing request is retried before giving up. */
  readonly retries?: number;
  /** Receives kafkajs' own log lines (warnings and errors). */
  readonly log?: (line: string) => void;
}

export function createKafka(options: KafkaClientOptions): Kafka {
  const { Kafka, logLevel } = kafkajs();
  const log = options.log;
  const config: KafkaConfig = {
    clientId: options.clientId ?? 'etl',
    brokers: [...options.brokers],
    connectionTimeout: options.connectTimeoutMs ?? 3000,
    requestTimeout: 30_000,
    retry: { retries: options.retries ?? 5, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: log === undefined ? logLevel.NOTHING : logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        if (log === undefined) return;
        const { message, ...rest } = entry;
        const name = level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'info';
        log(`kafka ${name} [${namespace}] ${message} ${JSON.stringify(rest)}`);
      },
  };
  return new Kafka(config);
}
