import { Validations, type App, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Spec } from '../core/spec';
import { BridgeStack } from './stacks/bridge-stack';

export interface CutoverAppProps {
  readonly spec: Spec;
  /**
   * Prefix of every stack name, so two copies (a test run, a teammate) can live in one account.
   * @default 'Cutover'
   */
  readonly prefix?: string;
  readonly env?: Environment;
  /** Run cdk-nag's AwsSolutions checks on every stack. @default true */
  readonly nag?: boolean;
}

export interface CutoverStacks {
  readonly bridge: BridgeStack;
}

/** Builds every cutover stack from the spec. bin/app.ts and the infra tests both call this. */
export function buildCutoverApp(app: App, props: CutoverAppProps): CutoverStacks {
  const prefix = props.prefix ?? 'Cutover';
  const common = { env: props.env, spec: props.spec };
  const bridge = new BridgeStack(app, `${prefix}-Bridge`, { ...common, description: 'cutover: legacy and services buses, translation, audit log, quarantine' });
  if (props.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { bridge };
}
