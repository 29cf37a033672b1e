import { Command, InvalidArgumentError } from 'commander';
import { createMonolithSchema, dropMonolithSchema, openWriter, seedMonolith } from './database';
import { MONOLITH_TABLES } from './seed';

/**
 * Creates and fills the reference monolith: `npx tsx monolith/seed-cli.ts --source <url> --orders 100000`.
 * The source URL is the same as the CLI's (postgres://, mysql://, pglite://<dir>), `?prefix=` included.
 */
const count = (v: string) => {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(v)}`);
  return n;
};

const program = new Command('seed-monolith')
  .description('create the reference monolith schema and fill it with deterministic data')
  .requiredOption('--source <url>', 'postgres://..., mysql://... or pglite://<dir> (with ?prefix= for a table prefix)')
  .option('--orders <n>', 'orders to generate', count, 10_000)
  .option('--seed <n>', 'PRNG seed: the same seed gives the same rows', count, 42)
  .option('--bad-rows <n>', 'orders with values the reference mapping rejects', count, 0)
  .option('--drop', 'drop the tables first')
  .action(async (opts: { source: string; orders: number; seed: number; badRows: number; drop?: boolean }) => {
    const prefix = new URL(opts.source.replace(/^pglite:\/\//, 'pglite://x/')).searchParams.get('prefix') ?? '';
    const writer = await openWriter(opts.source);
    try {
      if (opts.drop) await dropMonolithSchema(writer, prefix);
      await createMonolithSchema(writer, prefix);
      const started = Date.now();
      const counts = await seedMonolith(writer, {
        orders: opts.orders,
        seed: opts.seed,
        badRows: opts.badRows,
        prefix,
        onProgress: (done) =>
          process.stderr.write(`\rseeded ${done.toLocaleString('en-US')} / ${opts.orders.toLocaleString('en-US')} orders`),
      });
      const s = (Date.now() - started) / 1000;
      process.stderr.write('\n');
      for (const t of MONOLITH_TABLES)
        process.stdout.write(`${(prefix + t).padEnd(28)} ${counts[t].toLocaleString('en-US').padStart(12)} rows\n`);
      process.stdout.write(`in ${s.toFixed(1)} s (${Math.round(opts.orders / s).toLocaleString('en-US')} orders/s)\n`);
    } finally {
      await writer.close();
    }
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
