import { z } from 'zod';

/**
 * The `routing` section of the migration spec. Placeholder until its capability lands: it accepts an
 * object and keeps it, so the rest of the spec can be validated meanwhile.
 */
export const routingSectionSchema = z.object({}).passthrough();
export type RoutingSection = z.infer<typeof routingSectionSchema>;
