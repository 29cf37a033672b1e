import { z } from 'zod';

/**
 * The `capture` section of the migration spec. Placeholder until its capability lands: it accepts an
 * object and keeps it, so the rest of the spec can be validated meanwhile.
 */
export const captureSectionSchema = z.object({}).passthrough();
export type CaptureSection = z.infer<typeof captureSectionSchema>;
