/**
 * SIGINT/SIGTERM for long-running commands: the first asks the job to finish what it has in
 * hand and stop; a second one exits at once (130).
 */
export function onStopSignal(stop: () => void): () => void {
  let asked = false;
  const handler = (): void => {
    if (asked) process.exit(130);
    asked = true;
    process.stderr.write('Stopping after the batch in hand (press Ctrl-C again to quit at once)…\n');
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
