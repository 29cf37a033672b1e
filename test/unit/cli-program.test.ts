import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../bin/cutover';
import { COMMANDS } from '../../cli/commands';

/*
 * The whole `cutover` program as users reach it: every command group registered, and the mistakes users make
 * on the command line (a value outside the choices, a bad number, a missing required option, a typo in a
 * command) refused before any AWS call, with a message naming the option and the value, and a non-zero exit.
 */

interface Run {
  readonly error: CommanderError;
  readonly stderr: string;
}

/** Every command of the tree, depth first. */
function walk(command: Command): Command[] {
  return [command, ...command.commands.flatMap(walk)];
}

/** Parses argv with exits turned into thrown CommanderErrors and stderr captured (no action may run). */
async function parse(argv: readonly string[]): Promise<Run> {
  const program = buildProgram();
  let stderr = '';
  for (const command of walk(program)) {
    command.exitOverride();
    command.configureOutput({ writeErr: (s) => void (stderr += s), writeOut: () => undefined });
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return { error: err, stderr };
    throw err;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
}

describe('Function: buildProgram', () => {
  describe('Method: registration', () => {
    it('registers every command group once, each command with a description', () => {
      // Prepare
      const program = buildProgram();

      // Act
      const all = walk(program).slice(1);
      const top = program.commands.map((c) => c.name());

      // Assess
      expect(top.length).toBeGreaterThanOrEqual(COMMANDS.length - 3); // sync-* groups share `sync`
      expect(new Set(top).size).toBe(top.length);
      for (const command of all) {
        const siblings = (command.parent?.commands ?? []).map((c) => c.name());
        expect(siblings.filter((n) => n === command.name())).toHaveLength(1);
        expect({ command: command.name(), description: command.description().length > 0 }).toEqual({
          command: command.name(),
          description: true,
        });
      }
      expect(top).toEqual(expect.arrayContaining(['spec', 'route', 'replay', 'backfill', 'verify', 'sync', 'status', 'readiness']));
    });
  });

  describe('Method: parse (bad input)', () => {
    it.each([
      {
        argv: ['sync', 'conflicts', 'list', '--status', 'closed'],
        code: 'commander.invalidArgument',
        names: ['--status', 'closed', 'open', 'resolved'],
      },
      {
        argv: ['sync', 'conflicts', 'resolve', 'c-1', '--reason', 'r', '--take', 'both'],
        code: 'commander.invalidArgument',
        names: ['--take', 'both', 'monolith'],
      },
      {
        argv: ['sync', 'conflicts', 'resolve', 'c-1', '--reason', 'r'],
        code: 'commander.missingMandatoryOptionValue',
        names: ['--take'],
      },
      {
        argv: ['route', 'set', 'inventory', '--mode', 'half', '--reason', 'r'],
        code: 'commander.invalidArgument',
        names: ['--mode', 'half', 'canary'],
      },
      {
        argv: ['route', 'set', 'inventory', '--percent', '101', '--reason', 'r'],
        code: 'commander.invalidArgument',
        names: ['--percent', '"101"', '0..100'],
      },
      {
        argv: ['route', 'set', 'inventory', '--percent', '10'],
        code: 'commander.missingMandatoryOptionValue',
        names: ['--reason'],
      },
      {
        argv: ['backfill', '--source', 'pglite://x', '--entity', 'orders', '--segments', '0'],
        code: 'commander.invalidArgument',
        names: ['--segments', '"0"', '>= 1'],
      },
      {
        argv: ['backfill', '--entity', 'orders'],
        code: 'commander.missingMandatoryOptionValue',
        names: ['--source'],
      },
      {
        argv: ['status', '--window', '1441'],
        code: 'commander.invalidArgument',
        names: ['--window', '1441', '1440'],
      },
      {
        argv: ['replay', 'start', '--concurrency', '2.5'],
        code: 'commander.invalidArgument',
        names: ['--concurrency', '"2.5"'],
      },
      {
        argv: ['api', 'generate', '--auth', 'basic'],
        code: 'commander.invalidArgument',
        names: ['--auth', 'basic', 'jwt'],
      },
      {
        argv: ['quarantine', 'list', '--since', 'yesterday'],
        code: 'commander.invalidArgument',
        names: ['--since', '"yesterday"', 'ISO 8601'],
      },
      {
        argv: ['quarantine', 'list', '--until', '2026-13-45T00:00:00Z'],
        code: 'commander.invalidArgument',
        names: ['--until', '2026-13-45'],
      },
      {
        argv: ['quarantine', 'list', '--reason', 'nope'],
        code: 'commander.invalidArgument',
        names: ['--reason', 'nope'],
      },
      {
        argv: ['rout'],
        code: 'commander.unknownCommand',
        names: ['rout', 'route'],
      },
    ])('refuses `cutover $argv` with $code, naming $names', async ({ argv, code, names }) => {
      // Act
      const { error, stderr } = await parse(argv);

      // Assess
      expect(error.code).toBe(code);
      expect(error.exitCode).toBe(1);
      for (const name of names) expect(stderr).toContain(name);
    });

    it('shows help with exit code 0 and lists the command groups', async () => {
      // Prepare
      const program = buildProgram();
      let out = '';
      program.exitOverride().configureOutput({ writeOut: (s) => void (out += s) });

      // Act
      const error = await program.parseAsync(['--help'], { from: 'user' }).then(
        () => null,
        (err: unknown) => err,
      );

      // Assess
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).exitCode).toBe(0);
      for (const name of ['backfill', 'route', 'sync', 'readiness']) expect(out).toContain(name);
    });
  });
});
