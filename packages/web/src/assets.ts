/**
 * The page's static files: a fixed list of names, each mapped to one file, read once. Nothing
 * is ever served from a directory by the requested path.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const own = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets');
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));

const FILES: Readonly<Record<string, { readonly path: string; readonly type: string }>> = {
  'app.js': { path: join(own, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'style.css': { path: join(own, 'style.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { path: join(uplot, 'dist', 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { path: join(uplot, 'dist', 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const cache = new Map<string, Asset>();

/** The asset of that name, or undefined for any name not on the list. */
export function asset(name: string): Asset | undefined {
  const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (file === undefined) return undefined;
  let found = cache.get(name);
  if (found === undefined) cache.set(name, (found = { body: readFileSync(file.path), type: file.type }));
  return found;
}

export const ASSET_NAMES = Object.keys(FILES);
