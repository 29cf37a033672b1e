import { CutoverError } from '../../core/errors';
import type { AwsContext } from '../aws-context';

/** What a command takes from its surroundings; tests pass their own. */
export interface CliIo {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** Working directory for relative paths. @default process.cwd() */
  readonly cwd?: string;
  readonly context?: AwsContext;
}

export interface Out {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * Runs a command body and returns its exit code. A CutoverError (a bad spec, a missing stack output, no
 * credentials...) prints its message, which names the problem and the fix, without a stack: exit 2.
 * Anything else is a bug and keeps its stack.
 */
export async function runCli(io: CliIo, body: (out: Out) => Promise<number>): Promise<number> {
  const out: Out = {
    stdout: io.stdout ?? ((t) => void process.stdout.write(t)),
    stderr: io.stderr ?? ((t) => void process.stderr.write(t)),
  };
  try {
    return await body(out);
  } catch (err) {
    if (err instanceof CutoverError) {
      out.stderr(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
