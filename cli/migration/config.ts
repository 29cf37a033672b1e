import * as fs from 'node:fs';
import * as path from 'node:path';
import { SpecError } from '../../core/errors';
import { compileEntity, type CompiledEntity } from '../../core/migration';
import { migrationSectionSchema, type MigrationSection } from '../../core/spec/migration';

/**
 * Reads the `migration` section of the spec module (cutover.config.ts by default: its default export, or
 * an export named `spec`). The CLI runs under tsx, so requiring a TypeScript module works.
 */
export function loadMigrationSection(configPath = 'cutover.config.ts'): MigrationSection {
  const file = path.resolve(configPath);
  if (!fs.existsSync(file)) throw new SpecError([`config: ${file} does not exist (pass --config <file>)`]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as { default?: unknown; spec?: unknown };
  const spec = (mod.default ?? mod.spec ?? mod) as { migration?: unknown };
  if (!spec || typeof spec !== 'object' || spec.migration === undefined) {
    throw new SpecError([
      `migration: ${configPath} has no migration section; declare the table mappings there (see monolith/mapping.ts for the reference one)`,
    ]);
  }
  const parsed = migrationSectionSchema.safeParse(spec.migration);
  if (!parsed.success) throw new SpecError(parsed.error.issues.map((i) => `migration.${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}

/** The compiled entity, or a SpecError listing the entities there are. */
export function entityFrom(section: MigrationSection, name: string): CompiledEntity {
  const def = section.entities[name];
  if (!def) {
    throw new SpecError([
      `--entity: ${JSON.stringify(name)} is not an entity of the migration section (there are: ${Object.keys(section.entities).join(', ')})`,
    ]);
  }
  return compileEntity(name, def);
}
