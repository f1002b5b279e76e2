/**
 * kafkajs errors mapped to the project's error kinds.
 */
import { EtlError } from '@etl/core';
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

export function kafkaError(error: unknown, brokers: string): Error {
  if (error instanceof EtlError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && UNREACHABLE_NAMES.has(name)) {
    const root = rootCause(error);
    const reason = networkReason(root) ?? networkReason(error) ?? messageOf(root);
    return unreachable('kafka', brokers, reason, { cause: error });
  }
  return error instanceof Error ? error : new Error(messageOf(error));
}
