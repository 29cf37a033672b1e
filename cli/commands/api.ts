import { Option, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { apiModelsOf } from '../../core/api/model';
import { generateOpenApi, type ApiAuth } from '../../core/api/openapi';
import { CliError } from '../aws-context';
import { runCli, type CliIo } from './io';
import { DEFAULT_CONFIG, loadSpecFile } from './spec';

export interface ApiGenerateOptions {
  readonly config?: string;
  readonly service?: string;
  /** A file (one service) or a directory (`<service>.openapi.json` each); '-' or absent prints to stdout. */
  readonly out?: string;
  readonly auth?: ApiAuth;
  readonly server?: string;
}

/**
 * `cutover api generate`: the OpenAPI 3.1 document of each generated API, from the spec alone (no
 * deployment needed), the same document the deployed API serves at /openapi.json.
 */
export async function apiGenerateCommand(opts: ApiGenerateOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const { spec } = loadSpecFile(opts.config ?? DEFAULT_CONFIG, io.cwd);
    const models = apiModelsOf(spec);
    if (models.length === 0)
      throw new CliError(
        'the spec has no api section',
        'declare the exposed entities under `api.services` (see README "Generated REST APIs")',
      );
    const chosen = opts.service ? models.filter((m) => m.service === opts.service) : models;
    if (chosen.length === 0)
      throw new CliError(`no service "${opts.service}" in the api section`, `choose one of ${models.map((m) => m.service).join(', ')}`);
    const docs = chosen.map((m) => ({ service: m.service, doc: generateOpenApi(m, { auth: opts.auth, serverUrl: opts.server }) }));
    const text = (d: unknown) => `${JSON.stringify(d, null, 2)}\n`;
    if (!opts.out || opts.out === '-') {
      out.stdout(docs.length === 1 ? text(docs[0].doc) : text(Object.fromEntries(docs.map((d) => [d.service, d.doc]))));
      return 0;
    }
    const target = path.resolve(io.cwd ?? process.cwd(), opts.out);
    const isDir = docs.length > 1 || (fs.existsSync(target) && fs.statSync(target).isDirectory());
    if (isDir) {
      fs.mkdirSync(target, { recursive: true });
      for (const d of docs) fs.writeFileSync(path.join(target, `${d.service}.openapi.json`), text(d.doc));
      out.stderr(`wrote ${docs.map((d) => path.join(opts.out!, `${d.service}.openapi.json`)).join(', ')}\n`);
    } else {
      fs.writeFileSync(target, text(docs[0].doc));
      out.stderr(`wrote ${opts.out} (${Object.keys(docs[0].doc.paths ?? {}).length} paths)\n`);
    }
    return 0;
  });
}

export function register(program: Command): void {
  const api = program.command('api').description('generated REST APIs over the migrated data');
  api
    .command('generate')
    .description("write the OpenAPI 3.1 document of each service's generated API (one file, or a directory for several)")
    .option('--service <name>', 'only this service')
    .option('--out <path>', 'a file (with --service) or a directory; - for stdout', '-')
    .addOption(new Option('--auth <kind>', 'the security scheme the document declares').choices(['jwt', 'iam', 'none']).default('jwt'))
    .option('--server <url>', 'a server URL to list in the document')
    .option('--config <file>', 'the spec module', DEFAULT_CONFIG)
    .addHelpText('after', '\nExamples:\n  cutover api generate --service catalog --out openapi.json\n  cutover api generate --out openapi/')
    .action(async (opts: ApiGenerateOptions) => {
      process.exitCode = await apiGenerateCommand(opts);
    });
}
