import { Errors, Flags } from '@oclif/core';
import { UsageError } from '@etl/core';
import { isLoopback, LivePageData, startUiServer, TOKEN_MIN_LENGTH } from '@etl/web';
import { spawn } from 'node:child_process';
import { EtlCommand } from '../base-command.js';
import { loadMartsProject } from '../marts-project.js';
import { EtlMetrics } from '../ops/metrics.js';
import { readDotenv } from '../env-file.js';
import { groupFlag, projectFlag } from '../flags.js';
import { writeLine } from '../ui/output.js';

export interface UiResult {
  readonly url: string;
  readonly stopped: string;
}

export default class Ui extends EtlCommand<typeof Ui, UiResult> {
  static override summary = 'Serve a local web page to watch the platform: runs, stream, replication, cdc, marts.';
  static override description = `Starts an HTTP server in this process and prints its address. The page is read-only and
server-rendered: the runs grid (the last 25 pipeline runs × their tasks, ?before=<run> for older
ones), one run with a Gantt chart of its tasks, the stream (lag per partition, the latest dead
letters, the replication state of each table), change data capture (the slot, each table's
snapshot, applied position and lag, each partition's lag) and the marts as charts. It updates
itself while its tab is visible. /api/runs, /api/runs/<id>, /api/doctor, /api/stream and /api/cdc
serve the same JSON as \`etl runs\`, \`etl runs show\`, \`etl doctor\`, \`etl stream status\` and
\`etl cdc status\` with --json.

Beyond loopback (--host 0.0.0.0, a LAN address) the page needs a token: ETL_UI_TOKEN, at least
32 characters (openssl rand -hex 32 makes one); without it etl ui exits 2. Every page, API
answer then needs it, as an Authorization: Bearer header (scripts) or
through the login form, which sets an HttpOnly, SameSite=Strict session cookie (people); the
token is compared in constant time and never printed, logged or put in a URL. On loopback a
token is optional (set, it is required there too).

A service that is down does not stop the page: its panels say so, and the page recovers by itself.
The page binds 127.0.0.1 by default, answers only GET and HEAD, only requests addressed to its own
host, and reads through read-only database sessions. Ctrl-C or SIGTERM stops it (exit 0); a port
in use exits 2. With --json, stdout has one JSON line when the page is served ({"url"}) and one
when it stops ({"url", "stopped"}).`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 9000 --open',
  ];

  static override flags = {
    project: projectFlag(),
    port: Flags.integer({ description: 'Port to listen on (0: any free port).', default: 8080, min: 0, max: 65535 }),
    host: Flags.string({
      description: 'Address to bind; anything but loopback shares the page on your network.',
      default: '127.0.0.1',
      // An IP address or a host name: nothing else reaches the resolver (or is echoed in a warning).
      parse: async (input) => {
        if (!/^[A-Za-z0-9.:-]{1,253}$/.test(input)) {
          throw new Errors.CLIError(`"${input.slice(0, 40)}" is not an IP address or a host name`, { exit: 2 });
        }
        return input;
      },
    }),
    open: Flags.boolean({ description: 'Open the page in the default browser.' }),
    group: groupFlag('Consumer group whose lag the page shows.'),
  };

  protected async execute(): Promise<UiResult> {
    const config = this.loadConfig();
    const { host, port } = this.flags;
    const token = process.env['ETL_UI_TOKEN'] ?? readDotenv(process.cwd())['ETL_UI_TOKEN'];
    const make = `Make one with \`openssl rand -hex 32\`, then export ETL_UI_TOKEN=<it> (or put it in .env).`;
    if (token !== undefined && token.length < TOKEN_MIN_LENGTH) {
      throw new UsageError(`ETL_UI_TOKEN has ${token.length} characters; a token needs at least ${TOKEN_MIN_LENGTH}`, {
        hint: make,
      });
    }
    if (token === undefined && !isLoopback(host)) {
      throw new UsageError(`--host ${host} shares the page beyond this machine, which needs a token in ETL_UI_TOKEN`, {
        hint: `${make} Clients then send Authorization: Bearer <token>, or sign in on the page.`,
      });
    }
    if (token !== undefined) this.secrets = [...this.secrets, token];
    const metrics = new EtlMetrics('ui');
    const server = await startUiServer(
      new LivePageData(config, this.flags.group, loadMartsProject(this.flags.project, process.cwd())),
      {
        host,
        port,
        secrets: this.secrets,
        ...(token === undefined ? {} : { token }),
        // The page's own process metrics at /metrics, behind the token like every page.
        metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
      },
    );
    writeLine(this.streams.stderr, `etl ui: serving ${server.url} (Ctrl-C to stop)`);
    if (this.jsonMode) writeLine(this.streams.stdout, JSON.stringify({ url: server.url }));
    if (this.flags.open) openBrowser(server.url);
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    await server.close();
    return { url: server.url, stopped: signal };
  }

  /** With --json, stdout is JSON Lines: {"url"} once serving, {"url","stopped"} once stopped. */
  protected override output(result: UiResult): void {
    if (this.jsonMode) writeLine(this.streams.stdout, JSON.stringify(result));
    else super.output(result);
  }

  protected render(result: UiResult): void {
    writeLine(this.streams.stderr, `etl ui: stopped (${result.stopped}).`);
  }
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  spawn(command, [url], { stdio: 'ignore', detached: true })
    .on('error', () => {})
    .unref();
}
