/**
 * The parts of the `yaml` library that etl's settings file and marts projects use, loaded
 * only when one of them is read (see lazy.ts).
 */
import type * as Yaml from 'yaml';
import { lazyModule } from './lazy.js';

const yaml = lazyModule<typeof Yaml>('yaml', import.meta.url);

export function isMap<K = unknown, V = unknown>(node: unknown): node is Yaml.YAMLMap<K, V> {
  return yaml().isMap(node);
}

export function isSeq<T = unknown>(node: unknown): node is Yaml.YAMLSeq<T> {
  return yaml().isSeq(node);
}

export function isScalar<T = unknown>(node: unknown): node is Yaml.Scalar<T> {
  return yaml().isScalar(node);
}

export function lineCounter(): Yaml.LineCounter {
  return new (yaml().LineCounter)();
}

/** A YAML document with every node's place in the text, refusing a key given twice. */
export function parseDocument(text: string, lines: Yaml.LineCounter): Yaml.Document.Parsed {
  return yaml().parseDocument(text, { lineCounter: lines, uniqueKeys: true });
}
