import { CutoverError } from '../../../core/errors';

/** Change capture cannot be installed, read or written as asked (no primary key, unknown table, bad SQL). */
export class CaptureError extends CutoverError {}

/** The relay no longer holds its lease: another relay took over, so this one must stop without moving the watermark. */
export class LeaseLostError extends CutoverError {}

/** Shipping changes to the sink failed; the watermark did not move, so the same changes are shipped again. */
export class SinkError extends CutoverError {}
