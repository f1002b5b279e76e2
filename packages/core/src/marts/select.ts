/**
 * dbt's node selection on a marts project: `name`, `name+` (it and everything downstream),
 * `+name` (it and everything upstream), `+name+`, several separated by spaces or commas (each
 * adds to the selection: unlike dbt, a comma is not an intersection).
 */
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import type { MartsProject, Model } from './project.js';

function expand(project: MartsProject, text: string, flag: string): Set<string> {
  const names = project.models.map((m) => m.name);
  const chosen = new Set<string>();
  const unknown: string[] = [];
  const downstream = (name: string): string[] =>
    project.models.filter((m) => m.dependsOn.includes(name)).flatMap((m) => [m.name, ...downstream(m.name)]);
  const upstream = (name: string): string[] =>
    (project.models.find((m) => m.name === name)?.dependsOn ?? []).flatMap((d) => [d, ...upstream(d)]);
  for (const term of text.split(/[\s,]+/).filter((t) => t !== '')) {
    const m = /^(\+?)(.*?)(\+?)$/.exec(term);
    const name = names.find((n) => n === m?.[2]) ?? names.find((n) => n.toLowerCase() === m?.[2]?.toLowerCase());
    if (name === undefined) {
      unknown.push(m?.[2] ?? term);
      continue;
    }
    chosen.add(name);
    if (m?.[1] === '+') upstream(name).forEach((n) => chosen.add(n));
    if (m?.[3] === '+') downstream(name).forEach((n) => chosen.add(n));
  }
  if (unknown.length > 0) {
    const hints = unknown.map((n) => {
      const s = closest(n, names);
      return s === undefined ? `"${n}"` : `"${n}" (did you mean ${s}?)`;
    });
    throw new UsageError(`${flag}: unknown model ${hints.join(', ')}; the marts are ${names.join(', ')}`, {
      hint: 'Select models by name: name, +name (with what it reads), name+ (with what reads it).',
    });
  }
  return chosen;
}

/** The models `--select` and `--exclude` leave, in the project's (dependency) order. */
export function selectModels(
  project: MartsProject,
  select: string | undefined,
  exclude?: string,
  flag = '--select',
): Model[] {
  const chosen =
    select === undefined || select.trim() === ''
      ? new Set(project.models.map((m) => m.name))
      : expand(project, select, flag);
  const excluded = exclude === undefined || exclude.trim() === '' ? new Set() : expand(project, exclude, '--exclude');
  return project.models.filter((m) => chosen.has(m.name) && !excluded.has(m.name));
}
