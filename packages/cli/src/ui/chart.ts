/**
 * Horizontal bar charts for the terminal: people would rather look than read.
 * Block characters on a terminal, plain '#' in a pipe or file.
 */

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** How the value is written after the bar. */
  readonly text: string;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

export function barChart(
  bars: readonly Bar[],
  options: { readonly width?: number; readonly interactive: boolean },
): string {
  if (bars.length === 0) return '';
  const labelWidth = Math.min(32, Math.max(...bars.map((b) => b.label.length)));
  const width = options.width ?? 40;
  const max = Math.max(...bars.map((b) => b.value), 0);
  return bars
    .map((bar) => {
      const cells = max > 0 ? (Math.max(0, bar.value) / max) * width : 0;
      let drawn: string;
      if (options.interactive) {
        const whole = Math.floor(cells);
        drawn = '█'.repeat(whole) + (EIGHTHS[Math.round((cells - whole) * 8)] ?? '');
      } else {
        drawn = '#'.repeat(Math.round(cells));
      }
      return `${truncate(bar.label, labelWidth).padEnd(labelWidth)}  ${drawn.padEnd(width + 1)} ${bar.text}`.trimEnd();
    })
    .join('\n');
}
