import { z } from 'zod';

/**
 * The `saga` section of the migration spec. Placeholder until its capability lands: it accepts an
 * object and keeps it, so the rest of the spec can be validated meanwhile.
 */
export const sagaSectionSchema = z.object({}).passthrough();
export type SagaSection = z.infer<typeof sagaSectionSchema>;
