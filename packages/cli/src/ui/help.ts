/**
 * Command descriptions are written as wrapped paragraphs in the source; oclif wraps them again
 * to the terminal's width. Joining each paragraph's lines first keeps `--help` from printing
 * ragged half-lines. Blank lines separate paragraphs; lines starting with "- " or an indent
 * stay lines of their own.
 */
export function reflow(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) =>
      paragraph
        .split('\n')
        .reduce<string[]>((lines, line) => {
          const last = lines.length - 1;
          if (last < 0 || /^(- |\s)/.test(line)) lines.push(line);
          else lines[last] = `${lines[last] ?? ''} ${line.trim()}`;
          return lines;
        }, [])
        .join('\n'),
    )
    .join('\n\n');
}
