import { CutoverError } from '../errors';

/** The sync cannot decide or apply a change (an unknown resolver, an entity without rules...). */
export class SyncError extends CutoverError {}
