import { BusyError, PUBLICATION, slotName, UsageError } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { yesFlag } from '../../flags.js';
import { askYes } from '../../ui/confirm.js';
import { writeLine } from '../../ui/output.js';

interface ResetReport {
  readonly slot: string;
  readonly slotDropped: boolean;
  readonly publication: string;
  readonly stateCleared: boolean;
}

export default class CdcReset extends EtlCommand<typeof CdcReset, ResetReport> {
  static override summary = 'Drop the replication slot and publication and forget the capture.';
  static override description = `Nothing is left on PostgreSQL that pins WAL. The replicas keep their rows; the
next etl cdc capture starts a new epoch with a fresh snapshot, and etl cdc apply drops records of the old
epoch still in the topics. Refused (exit 75) while a capture reads the slot.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --yes'];
  static override flags = { yes: yesFlag('in a script') };

  protected async execute(): Promise<ResetReport> {
    const adapters = this.adapters();
    const slot = slotName(adapters.config.pg.database);
    if (!this.flags.yes) {
      const answer = await askYes(this.streams, `This drops replication slot ${slot} and forgets the capture.`);
      if (answer !== 'yes') {
        throw new UsageError('reset needs confirmation', { hint: 'Type yes on a terminal, or add --yes in a script.' });
      }
    }
    const log = adapters.changeLog();
    const store = adapters.cdcStore();
    const info = await log.slot(slot);
    if (info?.active === true) {
      throw new BusyError(`replication slot ${slot} is in use by a running capture`, {
        hint: 'Stop etl cdc capture first (Ctrl-C, or SIGTERM), then run this again.',
      });
    }
    const slotDropped = await log.dropSlot(slot);
    await log.dropPublication(PUBLICATION);
    await store.prepare();
    const stateCleared = (await store.state()) !== undefined;
    await store.clear();
    return { slot, slotDropped, publication: PUBLICATION, stateCleared };
  }

  protected render(r: ResetReport): void {
    writeLine(
      this.streams.stdout,
      `${r.slotDropped ? `Dropped replication slot ${r.slot}` : `No replication slot ${r.slot}`}, ` +
        `dropped publication ${r.publication}${r.stateCleared ? ', forgot the capture' : ''}. ` +
        'The next etl cdc capture starts from a fresh snapshot.',
    );
  }
}
