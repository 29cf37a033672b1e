import * as fs from 'node:fs';
import * as path from 'node:path';
import { CutoverError } from '../../core/errors';
import type { AppTemplate } from '../../core/map';

/** A cdk.out directory that cannot be read: names the directory and what to run. */
export class CdkOutError extends CutoverError {}

/**
 * Reads the CloudFormation templates of a cloud assembly (`cdk synth -o DIR`): every `*.template.json`
 * at the top and in nested assemblies (stages). Throws CdkOutError naming the directory when it is missing
 * or holds no template, and naming the file when one is not JSON.
 */
export function readCdkOut(dir: string): AppTemplate[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new CdkOutError(`cdk.out directory ${dir} does not exist; synthesize it with \`npx cdk synth --quiet -o ${dir}\``, { dir });
  }
  const files: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (name.endsWith('.template.json')) files.push(full);
      else if (depth < 2 && name.startsWith('assembly-') && fs.statSync(full).isDirectory()) walk(full, depth + 1);
    }
  };
  walk(dir, 0);
  if (files.length === 0) throw new CdkOutError(`${dir} holds no *.template.json; is it a cdk.out directory?`, { dir });
  return files.map((file) => {
    let template: unknown;
    try {
      template = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new CdkOutError(`${file} is not JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { file }, { cause });
    }
    return { stack: path.basename(file, '.template.json'), template };
  });
}
