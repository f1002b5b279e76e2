import { streamStatus, type StreamStatus } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { groupFlag } from '../../flags.js';
import { isInteractive, writeLine } from '../../ui/output.js';
import { renderPartitions } from './index.js';

export default class StreamStatusCommand extends EtlCommand<typeof StreamStatusCommand, StreamStatus> {
  static override summary = 'Per partition: the end offset, the offset stored in PostgreSQL, and the lag.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --group etl-stream --json',
  ];
  static override flags = {
    group: groupFlag(),
  };

  protected async execute(): Promise<StreamStatus> {
    const adapters = this.adapters();
    const { config } = adapters;
    const store = adapters.eventStore();
    const source = adapters.eventSource(2);
    try {
      await store.prepare();
      return await streamStatus(source, store, config.topic, this.flags.group);
    } finally {
      await source.stop();
      await store.close();
    }
  }

  protected render(s: StreamStatus): void {
    writeLine(this.streams.stdout, renderPartitions(s, isInteractive(this.streams.stdout)));
    writeLine(
      this.streams.stdout,
      `Topic ${s.topic}, group ${s.group}: total lag ${Number(s.lag).toLocaleString('en-US')}.`,
    );
  }
}
