/**
 * What every etl command shares: connection flags, --json and --debug, configuration
 * loading, and the one exit point that turns an error into a message and an exit code.
 */
import { stripVTControlCharacters } from 'node:util';
import { Command, Errors, type Interfaces } from '@oclif/core';
import {
  BugError,
  closest,
  ConfigError,
  isEtlError,
  passwordOf,
  redact,
  resolveConfig,
  type EtlConfig,
  type EtlError,
} from '@etl/core';
import { buildAdapters, type Adapters } from './adapters.js';
import { readDotenv } from './env-file.js';
import { globalFlags } from './flags.js';
import { processStreams, writeJson, writeLine, type Streams } from './ui/output.js';
import { addLogSecrets, configureLogs, jsonLogs, log } from './ui/log.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof EtlCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export abstract class EtlCommand<T extends typeof Command, R = unknown> extends Command {
  static override baseFlags = globalFlags;

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  protected readonly streams: Streams = processStreams;
  /** Passwords known to this run, scrubbed from anything printed. */
  protected secrets: string[] = [];
  private printedResult = false;

  /** Does the work and returns the result; --json prints exactly this value. */
  protected abstract execute(): Promise<R>;
  /** Prints the result for people. */
  protected abstract render(result: R): void;

  override async init(): Promise<void> {
    // Before the flags parse, so that their own errors already come in the chosen format.
    const asked = this.argv.some(
      (a, i) => a === '--log-format=json' || (a === '--log-format' && this.argv[i + 1] === 'json'),
    );
    configureLogs(asked || process.env['ETL_LOG_FORMAT'] === 'json' ? 'json' : 'human', this.argvPasswords());
    await super.init();
    const ctor = this.ctor as typeof EtlCommand;
    const { flags, args } = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      args: ctor.args,
      strict: ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
    configureLogs((flags as { 'log-format'?: string })['log-format'] === 'json' ? 'json' : 'human', [
      ...this.argvPasswords(),
    ]);
  }

  override async run(): Promise<R> {
    const result = await this.execute();
    this.output(result);
    return result;
  }

  /** Prints a result now (for commands that must print before failing, like doctor). */
  protected output(result: R): void {
    if (this.printedResult) return;
    this.printedResult = true;
    if (this.jsonMode) writeJson(this.streams, result);
    else this.render(result);
  }

  protected get jsonMode(): boolean {
    return this.flags?.json === true;
  }

  protected get debugMode(): boolean {
    return this.flags?.debug === true || (process.env['DEBUG'] ?? '') !== '';
  }

  /** A logger for stderr that only speaks with --debug. */
  protected debugLog = (line: string): void => {
    if (this.debugMode) writeLine(this.streams.stderr, redact(line, this.secrets));
  };

  /** Resolves flag > environment > .env > default and reports every problem at once. */
  protected loadConfig(): EtlConfig {
    const flags = this.flags as Record<string, string | undefined>;
    const { config, problems } = resolveConfig({
      flags: {
        pgUrl: flags['pg-url'],
        mysqlUrl: flags['mysql-url'],
        kafkaBrokers: flags['kafka-brokers'],
        topic: flags['topic'],
      },
      env: process.env,
      dotenv: readDotenv(process.cwd()),
    });
    if (config === undefined) throw new ConfigError(problems);
    this.secrets = [config.pg.password, config.mysql.password].filter((p): p is string => p !== undefined);
    addLogSecrets(this.secrets);
    return config;
  }

  /** The connectors for the resolved configuration (see adapters.ts). */
  protected adapters(): Adapters {
    return buildAdapters(this.loadConfig(), this.debugLog);
  }

  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    // Usage errors from oclif's parser (unknown flag, bad value, missing argument): one line, exit 2.
    // A flag's own parse function threw (oclif prefixes its message with "Parsing --flag"),
    // whatever the error's class.
    if ((!isEtlError(error) && error.oclif !== undefined) || error.message.startsWith('Parsing --')) {
      return this.usageError(error);
    }
    const etlError: EtlError = isEtlError(error)
      ? error
      : new BugError(`unexpected failure: ${error.message}`, {
          hint: 'This is a bug in etl. Rerun with --debug to see where, and report it.',
          cause: error,
        });
    const secrets = [...this.secrets, ...this.argvPasswords()];
    const message = redact(etlError.message, secrets);
    const hint = etlError.hint === undefined ? undefined : redact(etlError.hint, secrets);
    if (jsonLogs()) {
      addLogSecrets(secrets);
      log().error(
        { kind: etlError.kind, exitCode: etlError.exitCode, ...(hint === undefined ? {} : { hint }) },
        message,
      );
    } else {
      for (const line of message.split('\n')) writeLine(this.streams.stderr, `Error: ${line}`);
      if (hint !== undefined) writeLine(this.streams.stderr, `Hint: ${hint}`);
    }
    if (this.debugMode) {
      const cause = etlError.cause instanceof Error ? etlError.cause : etlError;
      writeLine(this.streams.stderr, redact(cause.stack ?? String(cause), secrets));
    }
    if (this.jsonMode && !this.printedResult) {
      writeJson(this.streams, {
        error: { kind: etlError.kind, message, hint: hint ?? null, exitCode: etlError.exitCode },
      });
    }
    return this.exit(etlError.exitCode);
  }

  private usageError(error: Error): never {
    const ctor = this.ctor as typeof EtlCommand;
    const known = Object.keys({ ...ctor.baseFlags, ...ctor.flags }).map((name) => `--${name}`);
    // A flag's own parse function failed: oclif wraps its message as "Parsing --flag \n\t<why>…".
    const parsing = /^Parsing (--[a-z-]+) \n\t([^\n]*)/.exec(error.message);
    let message =
      parsing === null
        ? (error.message.split('\n')[0] ?? error.message)
        : `${parsing[1]}: ${(parsing[2] ?? '').replace(/^--[a-z-]+: /, '')}`;
    // A failed flag validation (a required flag missing) says what failed on the lines after a header.
    if (/^The following errors? occurred:$/.test(message)) {
      message = error.message
        .split('\n')
        .slice(1)
        .map((line) =>
          stripVTControlCharacters(line)
            .trim()
            .replace(/^Missing required flag ([a-z-]+)$/, 'missing required flag --$1'),
        )
        .filter((line) => line !== '' && !line.startsWith('See more help'))
        .join('; ');
    }
    const unknown = (error as { flags?: unknown }).flags;
    if (Array.isArray(unknown) && unknown.length > 0) {
      const typed = String(unknown[0]).replace(/=.*$/, '');
      const suggestion = closest(typed, known);
      message = `unknown flag ${typed} for \`etl ${(this.id ?? '').replaceAll(':', ' ')}\`.${
        suggestion === undefined ? '' : ` Did you mean ${suggestion}?`
      }`;
    }
    const secrets = this.argvPasswords();
    writeLine(this.streams.stderr, `Error: ${redact(message, secrets)}`);
    writeLine(this.streams.stderr, `Hint: See \`etl ${(this.id ?? '').replaceAll(':', ' ')} --help\`.`);
    return this.exit(2);
  }

  /** Passwords typed on the command line, even when the URL around them is malformed. */
  private argvPasswords(): string[] {
    return this.argv
      .map((arg) => passwordOf(arg.replace(/^--[a-z-]+=/, '')))
      .filter((p): p is string => p !== undefined);
  }
}
