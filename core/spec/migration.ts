import { z } from 'zod';

/**
 * The `migration` section of the migration spec. Placeholder until its capability lands: it accepts an
 * object and keeps it, so the rest of the spec can be validated meanwhile.
 */
export const migrationSectionSchema = z.object({}).passthrough();
export type MigrationSection = z.infer<typeof migrationSectionSchema>;
