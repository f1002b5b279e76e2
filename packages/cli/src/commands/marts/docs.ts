import { projectDocs, selectModels, type DocsResult } from '@etl/core';
import { Flags } from '@oclif/core';
import { EtlCommand } from '../../base-command.js';
import { projectFlag } from '../../flags.js';
import { loadMartsProject } from '../../marts-project.js';
import { writeLine } from '../../ui/output.js';

export default class MartsDocs extends EtlCommand<typeof MartsDocs, DocsResult> {
  static override summary = 'Describe the models of a marts project: what each is, reads, holds and is tested for.';
  static override description = `Prints each model's description, materialization, what it reads (models and
sources), and its columns with their descriptions and tests, from the project's schema.yml. Connects nowhere.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --project ./analytics --select orders_enriched --json',
  ];

  static override flags = {
    project: projectFlag(),
    select: Flags.string({
      char: 's',
      description: 'Models to describe, in `etl marts --select` forms.',
      helpValue: '<selector>',
    }),
  };

  protected async execute(): Promise<DocsResult> {
    const project = loadMartsProject(this.flags.project, process.cwd());
    this.loadConfig(); // connects nowhere, but a bad connection flag is still an error (exit 2)
    return projectDocs(project, selectModels(project, this.flags.select));
  }

  protected render(result: DocsResult): void {
    const out = this.streams.stdout;
    writeLine(out, `Marts project: ${result.project}`);
    for (const m of result.models) {
      writeLine(out);
      writeLine(
        out,
        `${m.name} (${m.materialized}${m.uniqueKey.length > 0 ? `, unique_key ${m.uniqueKey.join(', ')}` : ''})` +
          ` — ${m.file}`,
      );
      if (m.description !== '') writeLine(out, `  ${m.description}`);
      if (m.reads.length > 0) writeLine(out, `  reads: ${m.reads.join(', ')}`);
      for (const c of m.columns)
        writeLine(
          out,
          `  - ${c.name}${c.description === '' ? '' : `: ${c.description}`}` +
            `${c.tests.length > 0 ? ` [${c.tests.join(', ')}]` : ''}`,
        );
      for (const t of m.tests) writeLine(out, `  test: ${t}`);
    }
  }
}
