/**
 * Flag definitions more than one command shares, in one place: the connection settings
 * (from core's SETTINGS table), --json and --debug, the consumer group, and --yes.
 */
import { Errors, Flags } from '@oclif/core';
import { SETTINGS, checkGroup } from '@etl/core';

const settingFlag = (spec: (typeof SETTINGS)[keyof typeof SETTINGS]) =>
  Flags.string({
    description: `${spec.description}. Env: ${spec.env}. Default: ${spec.default}`,
    helpGroup: 'CONNECTION',
    helpValue: spec.flag === 'kafka-brokers' ? '<host:port,…>' : spec.flag === 'topic' ? '<name>' : '<url>',
  });

/** Every command takes these (oclif's baseFlags). */
export const globalFlags = {
  json: Flags.boolean({
    description: 'Print the result as JSON on stdout (progress stays on stderr).',
    helpGroup: 'GLOBAL',
  }),
  debug: Flags.boolean({ description: 'Show stack traces and driver logs on stderr.', helpGroup: 'GLOBAL' }),
  'log-format': Flags.string({
    description: 'stderr as people read it (human) or one JSON object per line for a log shipper (json).',
    options: ['human', 'json'],
    default: 'human',
    env: 'ETL_LOG_FORMAT',
    helpGroup: 'GLOBAL',
  }),
  'pg-url': settingFlag(SETTINGS.pgUrl),
  'mysql-url': settingFlag(SETTINGS.mysqlUrl),
  'kafka-brokers': settingFlag(SETTINGS.kafkaBrokers),
  topic: settingFlag(SETTINGS.topic),
};

/** The Kafka consumer group of `etl stream`, `etl stream status` and the pipeline's stream task. */
export const groupFlag = (
  description = 'Consumer group.',
  { name, env }: { readonly name: string; readonly env: string } = { name: 'etl-stream', env: 'ETL_STREAM_GROUP' },
) =>
  Flags.string({
    description,
    default: name,
    env,
    helpValue: '<name>',
    // oclif reports a parse error as a usage error: one line naming the flag, exit 2.
    parse: async (input) => {
      const problem = checkGroup(input);
      if (problem !== undefined) throw new Errors.CLIError(problem, { exit: 2 });
      return input;
    },
  });

/** Confirms a destructive choice in a script (on a terminal, the command asks). */
export const yesFlag = (what: string) =>
  Flags.boolean({ char: 'y', description: `Do not ask for confirmation (${what}).` });

/** `--config`: the settings file of replicate and verify (per-table settings; see docs/guide.md). */
export const configFlag = () =>
  Flags.string({
    description:
      'Per-table settings (YAML): mode, key, cursor, mask, as_text, target, columns. Default: ./etl.yaml when present.',
    env: 'ETL_CONFIG',
    helpValue: '<file>',
  });

/** `--project`: the marts project (a folder of models; see docs/marts.md). */
export const projectFlag = () =>
  Flags.string({
    description:
      'The marts project: a folder of models (*.sql) and schema.yml. Default: ./marts when present, else the ' +
      'built-in demo project.',
    env: 'ETL_MARTS_PROJECT',
    helpValue: '<dir>',
  });

/** `--metrics-port` / `--metrics-host`: Prometheus metrics and health checks (docs/operations.md). */
export const metricsFlags = () => ({
  'metrics-port': Flags.integer({
    description: 'Serve Prometheus metrics (/metrics) and health checks (/healthz, /readyz) on this port (0: any).',
    env: 'ETL_METRICS_PORT',
    min: 0,
    max: 65535,
    helpValue: '<port>',
  }),
  'metrics-host': Flags.string({
    description: 'Address the metrics port binds (default loopback).',
    env: 'ETL_METRICS_HOST',
    default: '127.0.0.1',
    helpValue: '<host>',
    parse: async (value: string) => {
      if (!/^[A-Za-z0-9.:-]{1,253}$/.test(value))
        throw new Error(`--metrics-host: "${value}" is not a host name or address`);
      return value;
    },
  }),
});
