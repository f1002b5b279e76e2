/**
 * Configuration: one table of settings (flag, environment variable, default), and one pure
 * resolver that applies the precedence flag > environment > .env file > default and reports
 * every problem at once. Nothing here reads process.env or files: callers pass them in.
 */
import type { ConfigProblem } from './errors.js';
import { maskUrl } from './redact.js';

export interface SettingSpec {
  /** Flag name without dashes. */
  readonly flag: string;
  readonly env: string;
  readonly default: string;
  readonly description: string;
}

/** The single table of settings. Defaults are exactly the docker-compose.yml endpoints. */
export const SETTINGS = {
  pgUrl: {
    flag: 'pg-url',
    env: 'ETL_PG_URL',
    default: 'postgres://etl:etl@127.0.0.1:5432/etl',
    description: 'PostgreSQL (the source) connection URL; the database in it is used as given',
  },
  mysqlUrl: {
    flag: 'mysql-url',
    env: 'ETL_MYSQL_URL',
    default: 'mysql://etl:etl@127.0.0.1:3306/etl',
    description: 'MySQL or MariaDB (the replica and marts) connection URL; the database in it is used as given',
  },
  kafkaBrokers: {
    flag: 'kafka-brokers',
    env: 'ETL_KAFKA_BROKERS',
    default: '127.0.0.1:9092',
    description: 'Kafka bootstrap brokers, comma-separated host:port',
  },
  topic: {
    flag: 'topic',
    env: 'ETL_KAFKA_TOPIC',
    default: 'my_topic',
    description: 'Kafka topic of user-activity events',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export type Source = 'flag' | 'env' | '.env' | 'default';

export interface DatabaseEndpoint {
  /** The URL exactly as configured (contains the password: never print it). */
  readonly url: string;
  /** The URL with its password masked: safe to print. */
  readonly display: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | undefined;
  readonly database: string;
}

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export interface EtlConfig {
  readonly pg: DatabaseEndpoint;
  readonly mysql: DatabaseEndpoint;
  readonly kafka: { readonly brokers: readonly string[]; readonly display: string };
  readonly topic: string;
}

export interface ResolveInput {
  /** Values given as flags (undefined when the flag was not given). */
  readonly flags: Partial<Record<SettingKey, string | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Variables read from a .env file, if any. */
  readonly dotenv?: Readonly<Record<string, string | undefined>>;
}

export interface ResolveResult {
  /** Present only when there are no problems. */
  readonly config: EtlConfig | undefined;
  readonly problems: readonly ConfigProblem[];
  readonly sources: Readonly<Record<SettingKey, Source>>;
}

function pick(key: SettingKey, input: ResolveInput): { value: string; source: Source } {
  const spec = SETTINGS[key];
  const candidates: [string | undefined, Source][] = [
    [input.flags[key], 'flag'],
    [input.env[spec.env], 'env'],
    [input.dotenv?.[spec.env], '.env'],
  ];
  for (const [value, source] of candidates) {
    if (value !== undefined && value !== '') return { value, source };
  }
  return { value: spec.default, source: 'default' };
}

const DB_PROTOCOLS = {
  pgUrl: {
    protocols: ['postgres:', 'postgresql:'],
    defaultPort: 5432,
    example: 'postgres://user:password@host:5432/database',
  },
  mysqlUrl: {
    protocols: ['mysql:', 'mariadb:'],
    defaultPort: 3306,
    example: 'mysql://user:password@host:3306/database',
  },
} as const;

/** Parses a database URL, or says in one phrase what is wrong with it. */
export function parseDatabaseUrl(key: 'pgUrl' | 'mysqlUrl', raw: string): DatabaseEndpoint | string {
  const rule = DB_PROTOCOLS[key];
  const shown = maskUrl(raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${shown}" is not a valid URL; expected ${rule.example}`;
  }
  if (!(rule.protocols as readonly string[]).includes(url.protocol)) {
    return `"${shown}" must start with ${rule.protocols.map((p) => `${p}//`).join(' or ')}`;
  }
  if (url.hostname === '') return `"${shown}" names no host; expected ${rule.example}`;
  let database: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  } catch {
    return `"${shown}" has a badly encoded database name`;
  }
  if (database === '' || database.includes('/')) {
    return `"${shown}" must name exactly one database; expected ${rule.example}`;
  }
  if (!/^[A-Za-z0-9_$-]{1,63}$/.test(database)) {
    return `database name "${database}" may only contain letters, digits, _, $ and - (at most 63)`;
  }
  let user: string;
  let password: string | undefined;
  try {
    user = decodeURIComponent(url.username);
    password = url.password === '' ? undefined : decodeURIComponent(url.password);
  } catch {
    return `"${shown}" has a badly encoded user or password`;
  }
  if (user === '') return `"${shown}" names no user; expected ${rule.example}`;
  return {
    url: raw,
    display: shown,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? rule.defaultPort : Number(url.port),
    user,
    password,
    database,
  };
}

/** Parses `host:port,host:port`, or says what is wrong. */
export function parseBrokers(raw: string): string[] | string {
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) return 'names no broker; expected host:port[,host:port…]';
  for (const part of parts) {
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(part);
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65535) {
      return `"${part}" is not host:port (for example 127.0.0.1:9092)`;
    }
  }
  return parts;
}

/** Kafka's own rule for topic names. */
export function checkTopic(raw: string): string | undefined {
  if (raw === '.' || raw === '..') return `"${raw}" is not a valid topic name`;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(raw)) {
    return `"${raw}" is not a valid topic name: use 1 to 249 letters, digits, '.', '_' or '-'`;
  }
  return undefined;
}

/**
 * A Kafka consumer group name etl accepts: what Kafka allows (any non-empty string) narrowed to
 * names that read the same in a log, a table and a shell — printable ASCII without spaces or
 * quotes, at most 255 characters.
 */
export function checkGroup(raw: string): string | undefined {
  if (raw === '') return 'must not be empty';
  if (raw.length > 255) return `is ${raw.length} characters long; at most 255`;
  if (!/^[A-Za-z0-9._:@+=-]+$/.test(raw)) {
    return `"${raw.slice(0, 40)}" is not a group name: use letters, digits and . _ - : @ + =`;
  }
  return undefined;
}

/**
 * Applies flag > environment > .env > default to every setting and validates each one,
 * collecting every problem instead of stopping at the first.
 */
export function resolveConfig(input: ResolveInput): ResolveResult {
  const problems: ConfigProblem[] = [];
  const sources = {} as Record<SettingKey, Source>;
  const values = {} as Record<SettingKey, string>;
  for (const key of SETTING_KEYS) {
    const { value, source } = pick(key, input);
    values[key] = value;
    sources[key] = source;
  }
  const problem = (key: SettingKey, message: string): void => {
    const spec = SETTINGS[key];
    const from =
      sources[key] === 'default'
        ? ''
        : ` (from ${
            sources[key] === 'flag' ? 'the flag' : sources[key] === 'env' ? 'the environment' : 'the .env file'
          })`;
    problems.push({ flag: `--${spec.flag}`, env: spec.env, message: message + from });
  };

  const pg = parseDatabaseUrl('pgUrl', values.pgUrl);
  if (typeof pg === 'string') problem('pgUrl', pg);
  const mysql = parseDatabaseUrl('mysqlUrl', values.mysqlUrl);
  if (typeof mysql === 'string') problem('mysqlUrl', mysql);
  const brokers = parseBrokers(values.kafkaBrokers);
  if (typeof brokers === 'string') problem('kafkaBrokers', brokers);
  const topicProblem = checkTopic(values.topic);
  if (topicProblem !== undefined) problem('topic', topicProblem);

  if (
    typeof pg === 'string' ||
    typeof mysql === 'string' ||
    typeof brokers === 'string' ||
    topicProblem !== undefined
  ) {
    return { config: undefined, problems, sources };
  }
  return {
    config: { pg, mysql, kafka: { brokers, display: brokers.join(',') }, topic: values.topic },
    problems,
    sources,
  };
}
