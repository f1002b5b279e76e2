/**
 * A library loaded the first time it is used, not when etl starts. Every `etl` process pays
 * for what its modules import: faker, YAML and kafkajs cost a short command such as
 * `etl verify` a third of its start-up though most commands never use them. Node.js (20.19
 * and later) loads an ES module with require() too, so the load stays synchronous.
 */
import { createRequire } from 'node:module';

/**
 * `lazyModule<typeof Yaml>('yaml', import.meta.url)`: a function returning the module,
 * resolved from the calling package (`from`), loaded at its first call, then kept.
 */
export function lazyModule<T>(id: string, from: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= createRequire(from)(id) as T);
}
