import type { Command } from 'commander';
import { register as registerAudit } from './audit';
import { register as registerEvents } from './events';
import { register as registerQuarantine } from './quarantine';
import { register as registerSaga } from './saga';
import { register as registerSpec } from './spec';
import { register as registerRoute } from './route';
import { register as registerCapture } from './capture';
import { register as registerReplay } from './replay';
import { register as registerDiff } from './diff';
import { register as registerBackfill } from './backfill';
import { register as registerVerify } from './verify';
import { register as registerMap } from './map';
import { register as registerOperations } from './operations';
import { registerRehearseCommand } from '../rehearse';
import { register as registerBoundaries } from './boundaries';
import { register as registerSyncCapture } from './sync-capture';
import { register as registerApi } from './api';
import { register as registerSyncConflicts } from './sync-conflicts';
import { register as registerSyncSwitch } from './sync-switch';
import { register as registerChaos } from './chaos';

/**
 * Every CLI command group. To add one: export `register(program)` from a module in cli/commands and add
 * it to this list (one line).
 */
export const COMMANDS: ReadonlyArray<(program: Command) => unknown> = [
  registerSpec,
  registerEvents,
  registerAudit,
  registerQuarantine,
  registerSaga,
  registerRoute,
  registerCapture,
  registerReplay,
  registerDiff,
  registerBackfill,
  registerVerify,
  registerRehearseCommand,
  registerMap,
  registerBoundaries,
  registerSyncCapture,
  registerApi,
  registerSyncConflicts,
  registerOperations,
  registerSyncSwitch,
  registerChaos,
];

export function registerCommands(program: Command): Command {
  for (const register of COMMANDS) register(program);
  return program;
}
