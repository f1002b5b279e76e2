/**
 * oclif's help, with every command's description reflowed into whole paragraphs first (see
 * reflow): the descriptions are wrapped in the source, and oclif wraps them again.
 */
import { Help, type Command } from '@oclif/core';
import { reflow } from './ui/help.js';

export default class EtlHelp extends Help {
  protected override formatCommand(command: Command.Loadable): string {
    return super.formatCommand(
      command.description === undefined ? command : { ...command, description: reflow(command.description) },
    );
  }
}
