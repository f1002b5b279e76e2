/**
 * kafkajs errors mapped to the project's error kinds.
 */
import { EtlError, UsageError } from '@etl/core';
import { messageOf, networkReason, unreachable } from '../shared/unreachable.js';

const UNREACHABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSRequestTimeoutError',
  'KafkaJSConnectionClosedError',
  'KafkaJSLockTimeout',
  'KafkaJSNonRetriableError',
]);

function rootCause(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 5; i++) {
    const next = (current as { originalError?: unknown; cause?: unknown } | null)?.originalError;
    if (next === undefined || next === null) break;
    current = next;
  }
  return current;
}

/** The error and what it wraps (kafkajs' originalError, or cause), five deep at most. */
function* causes(error: unknown): Generator<{ name?: unknown; type?: unknown; retriable?: unknown }> {
  for (let e = error, i = 0; e !== undefined && e !== null && i < 5; i++) {
    yield e;
    const next = e as { originalError?: unknown; cause?: unknown };
    e = next.originalError ?? next.cause;
  }
}

function isUnknownTopic(error: unknown): boolean {
  for (const e of causes(error)) if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  return false;
}

/**
 * A broker's answer kafkajs itself calls retriable (NOT_LEADER_FOR_PARTITION, LEADER_NOT_AVAILABLE,
 * …): what a broker restarting says until its partitions have leaders again, so the service is
 * not there yet, not a bug.
 */
function isRetriableProtocolError(error: unknown): boolean {
  for (const e of causes(error)) if (e.name === 'KafkaJSProtocolError' && e.retriable === true) return true;
  return false;
}

/** Maps a kafkajs error; `topic` names the topic the call was about, for a missing one. */
export function kafkaError(error: unknown, brokers: string, topic?: string): Error {
  if (error instanceof EtlError) return error;
  if (topic !== undefined && isUnknownTopic(error)) {
    return new UsageError(`Kafka at ${brokers} has no topic "${topic}"`, {
      hint: 'Produce events with `etl produce` (it creates the topic), or name another with --topic / ETL_KAFKA_TOPIC.',
      cause: error,
    });
  }
  const name = (error as { name?: unknown } | null)?.name;
  if ((typeof name === 'string' && UNREACHABLE_NAMES.has(name)) || isRetriableProtocolError(error)) {
    const root = rootCause(error);
    const reason = networkReason(root) ?? networkReason(error) ?? messageOf(root);
    return unreachable('kafka', brokers, reason, { cause: error });
  }
  return error instanceof Error ? error : new Error(messageOf(error));
}
