/**
 * Running units of work that depend on each other: in dependency waves, with bounded
 * concurrency. Replication (tables) and marts use the same two pieces.
 */

/**
 * Groups items into waves: every item after the items it depends on (when those are among
 * the items at all). Items of one wave are independent and may run in parallel.
 */
export function dependencyWaves<T>(
  items: readonly T[],
  name: (item: T) => string,
  dependsOn: (item: T) => readonly string[],
): T[][] {
  const names = new Set(items.map(name));
  const placed = new Set<string>();
  const waves: T[][] = [];
  let rest = [...items];
  while (rest.length > 0) {
    const wave = rest.filter((item) => dependsOn(item).every((d) => placed.has(d) || !names.has(d)));
    if (wave.length === 0) throw new Error(`dependency cycle among ${rest.map(name).join(', ')}`);
    waves.push(wave);
    for (const item of wave) placed.add(name(item));
    rest = rest.filter((item) => !placed.has(name(item)));
  }
  return waves;
}

/**
 * Runs `work` over the items with at most `limit` at once, in order of start. The first
 * failure stops new work from starting and is rethrown once the running ones have settled.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure !== undefined) throw failure.error;
}

/**
 * At most `limit` of the works given to the returned function run at once; the others wait, in
 * order. A freed slot passes straight to the next waiting work.
 */
export function semaphore(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (active < limit) active++;
    else await new Promise<void>((resume) => waiting.push(resume));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next === undefined) active--;
      else next();
    }
  };
}
