/**
 * Serves the app on a host and port until closed. A port in use is bad input (exit 2), named
 * with the flag that changes it.
 */
import { serve } from '@hono/node-server';
import { UsageError } from '@etl/core';
import { createApp, type AppOptions } from './app.js';
import type { PageData } from './data.js';

export interface UiServerOptions {
  readonly host: string;
  readonly port: number;
  readonly secrets: readonly string[];
  /** Required of every request (see auth.ts); none: open, as on loopback by default. */
  readonly token?: string;
  readonly metrics?: AppOptions['metrics'];
}

export interface UiServer {
  readonly url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\./.test(host);

export function startUiServer(data: PageData, options: UiServerOptions): Promise<UiServer> {
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  const hosts = [...new Set([shown, 'localhost', '127.0.0.1', '[::1]'])].flatMap((h) => [h, `${h}:${options.port}`]);
  const app = createApp(data, {
    hosts,
    secrets: options.secrets,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info) => {
      resolve({
        url: `http://${shown}:${info.port}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new UsageError(`port ${options.port} is in use on ${options.host}`, { hint: 'Pick another with --port.' }),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(
          new UsageError(`--host ${options.host} is not an address of this machine`, { hint: 'Use --host 127.0.0.1.' }),
        );
      } else {
        reject(error);
      }
    });
  });
}
