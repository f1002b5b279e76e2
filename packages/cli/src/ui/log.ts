/**
 * `--log-format json` (ETL_LOG_FORMAT): one JSON object per line on stderr, through pino (the
 * maintained structured logger of the ecosystem), for a log shipper to parse. Each line has
 * `time` (ISO), `level`, `message` and the fields of its event (table, topic, partition, rows,
 * seconds, kind…). Every line passes the same secret redaction as the human output. The
 * default stays the human output: progress lists, `Error:` and `Hint:` lines.
 *
 * Everything etl writes to stderr goes through `writeLine`, which turns it into a log line in
 * this format; progress is logged as steps start and end, and at most once a minute between.
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type pinoModule from 'pino';
import { redact } from '@etl/core';

export type LogFormat = 'human' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['human', 'json'];

interface LogState {
  format: LogFormat;
  secrets: readonly string[];
  logger: Logger | undefined;
}
const state: LogState = { format: 'human', secrets: [], logger: undefined };

export function configureLogs(format: LogFormat, secrets: readonly string[] = []): void {
  state.format = format;
  state.secrets = secrets;
  state.logger = undefined;
}

/** Passwords and tokens learned later (the configuration, a token) are scrubbed too. */
export function addLogSecrets(secrets: readonly string[]): void {
  state.secrets = [...new Set([...state.secrets, ...secrets])];
}

export const jsonLogs = (): boolean => state.format === 'json';

export function log(): Logger {
  if (state.logger !== undefined) return state.logger;
  // Loaded on first use: only --log-format json needs it.
  const pino = createRequire(import.meta.url)('pino') as typeof pinoModule;
  state.logger = pino(
    {
      base: undefined,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous and redacting: a line is on stderr before the process exits.
    { write: (line: string) => process.stderr.write(redact(line, state.secrets)) },
  );
  return state.logger;
}

/** A line written for people, as a log line: its level from its prefix (Error:, Hint:, Warning:). */
export function logLine(line: string): void {
  if (line.trim() === '') return;
  const error = /^Error: (.*)$/s.exec(line);
  const hint = /^Hint: (.*)$/s.exec(line);
  const warning = /^Warning: (.*)$/s.exec(line);
  if (error !== null) log().error(error[1]);
  else if (hint !== null) log().info({ hint: true }, hint[1]);
  else if (warning !== null) log().warn(warning[1]);
  else log().info(line);
}

const MINUTE_MS = 60_000;

/**
 * Progress of a long step as log lines: the first update, then at most one a minute (the last
 * one held back is logged when the step ends).
 */
export function throttledProgress(
  step: string,
  clock: () => number = Date.now,
): {
  update: (message: string, fields?: Record<string, unknown>) => void;
  end: (status: 'done' | 'failed', message: string, fields?: Record<string, unknown>) => void;
} {
  const started = clock();
  let last = -Infinity;
  let held: { message: string; fields: Record<string, unknown> } | undefined;
  return {
    update: (message, fields = {}) => {
      const now = clock();
      if (now - last >= MINUTE_MS) {
        last = now;
        held = undefined;
        log().info({ step, event: 'progress', ...fields }, message);
      } else held = { message, fields };
    },
    end: (status, message, fields = {}) => {
      if (held !== undefined) log().info({ step, event: 'progress', ...held.fields }, held.message);
      const seconds = Math.round((clock() - started) / 10) / 100;
      if (status === 'done') log().info({ step, event: 'done', seconds, ...fields }, message);
      else log().error({ step, event: 'failed', seconds, ...fields }, message);
    },
  };
}
