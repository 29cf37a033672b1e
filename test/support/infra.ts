import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

/*
 * Checks every infra test makes of a synthesized stack: cdk-nag AwsSolutions findings (with v3's
 * Validations acknowledgements honoured), the written reasons of those acknowledgements, and the IAM
 * statements of the template.
 */

/** Unacknowledged AwsSolutions findings as `rule at paths: description` lines (empty when clean). */
export function nagFindings(stack: Stack): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
  return report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}: ${v.description}`);
}

/** Every acknowledgement in the stack with its construct path, rule id and reason. */
export function acknowledgements(stack: Stack): Array<{ path: string; id: string; reason: string }> {
  const acks: Array<{ path: string; id: string; reason: string }> = [];
  for (const c of stack.node.findAll()) {
    for (const m of c.node.metadata) {
      if (!String(m.type).includes('acknowledged')) continue;
      for (const [id, reason] of Object.entries(m.data as Record<string, string>)) acks.push({ path: c.node.path, id, reason });
    }
  }
  return acks;
}

export interface IamStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
}

/** Every IAM statement of the template's policies, roles and queue/topic policies, with where it sits. */
export function iamStatements(template: Template): Array<{ where: string; s: IamStatement }> {
  const out: Array<{ where: string; s: IamStatement }> = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy']) {
    for (const [id, r] of Object.entries(template.findResources(type) as Record<string, { Properties?: Record<string, unknown> }>)) {
      const p = r.Properties ?? {};
      const docs: Array<{ Statement?: IamStatement[] }> = [];
      if (p.PolicyDocument) docs.push(p.PolicyDocument as { Statement?: IamStatement[] });
      if (p.AssumeRolePolicyDocument) docs.push(p.AssumeRolePolicyDocument as { Statement?: IamStatement[] });
      for (const inline of (p.Policies as Array<{ PolicyDocument: { Statement?: IamStatement[] } }>) ?? [])
        docs.push(inline.PolicyDocument);
      for (const doc of docs) for (const s of doc.Statement ?? []) out.push({ where: `${type} ${id}`, s });
    }
  }
  return out;
}

export const actionsOf = (s: IamStatement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** `where: action` for every allowed action containing `*` (empty when none). */
export function wildcardActions(template: Template): string[] {
  return iamStatements(template)
    .filter(({ s }) => s.Effect === 'Allow')
    .flatMap(({ where, s }) =>
      actionsOf(s)
        .filter((a) => a.includes('*'))
        .map((a) => `${where}: ${a}`),
    );
}
