import type { AppView } from './model';

/*
 * Facts about the synthesized app, read from its CloudFormation templates (a cdk.out directory). Pure: the
 * adapter reads the files, this reads the JSON. Only what the map needs: the buses, the rules on them and
 * the event types they match, what each rule targets, and the state machine definitions.
 */

export interface AppTemplate {
  /** Stack name (the template file's name without `.template.json`). */
  readonly stack: string;
  readonly template: unknown;
}

export interface AppRule {
  readonly stack: string;
  readonly id: string;
  /** Which of the spec's buses the rule listens on; undefined for other buses and schedules. */
  readonly bus?: 'legacy' | 'services';
  readonly detailTypes: readonly string[];
  /** Logical ids of the targets (Lambda functions, state machines, queues), hash suffix removed. */
  readonly targets: readonly string[];
}

export interface AppStateMachine {
  readonly stack: string;
  readonly id: string;
  /** The parsed definition; ${...} substitutions are left as text. */
  readonly definition?: { readonly States?: Record<string, Record<string, unknown>> };
  /** Why the definition could not be read, when it could not. */
  readonly problem?: string;
}

export interface AppFacts {
  readonly stacks: readonly string[];
  readonly buses: ReadonlyArray<{
    readonly stack: string;
    readonly id: string;
    readonly name?: string;
    readonly role?: 'legacy' | 'services';
  }>;
  readonly rules: readonly AppRule[];
  readonly stateMachines: readonly AppStateMachine[];
  readonly functions: number;
  readonly tables: number;
}

type Resource = { readonly Type?: unknown; readonly Properties?: Record<string, unknown> };

function resourcesOf(template: unknown): Record<string, Resource> {
  if (!template || typeof template !== 'object') return {};
  const res = (template as { Resources?: unknown }).Resources;
  return res && typeof res === 'object' ? (res as Record<string, Resource>) : {};
}

/** CDK logical ids end in an 8-hex-digit hash; the readable part is enough for a map. */
export function readableId(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Reads the facts of every template. Rules are placed on the spec's buses by the bus they reference: a
 * `Ref` to a bus of the same stack, an `Fn::ImportValue` of another stack's bus export, or a literal name.
 */
export function readAppFacts(
  templates: readonly AppTemplate[],
  busNames: { readonly legacy: string; readonly services: string },
): AppFacts {
  const buses: Array<{ stack: string; id: string; name?: string; role?: 'legacy' | 'services' }> = [];
  for (const { stack, template } of templates) {
    for (const [id, r] of Object.entries(resourcesOf(template))) {
      if (r.Type !== 'AWS::Events::EventBus') continue;
      const name = typeof r.Properties?.Name === 'string' ? r.Properties.Name : undefined;
      const role = name === busNames.legacy ? 'legacy' : name === busNames.services ? 'services' : undefined;
      buses.push({ stack, id, name, role });
    }
  }
  const roleOfRef = (stack: string, ref: unknown): 'legacy' | 'services' | undefined => {
    if (typeof ref === 'string') return ref === busNames.legacy ? 'legacy' : ref === busNames.services ? 'services' : undefined;
    if (!ref || typeof ref !== 'object') return undefined;
    const o = ref as Record<string, unknown>;
    if (typeof o.Ref === 'string') return buses.find((b) => b.stack === stack && b.id === o.Ref)?.role;
    const imported = o['Fn::ImportValue'];
    if (typeof imported === 'string') return buses.find((b) => imported.includes(b.id))?.role;
    return undefined;
  };
  const rules: AppRule[] = [];
  const stateMachines: AppStateMachine[] = [];
  let functions = 0;
  let tables = 0;
  for (const { stack, template } of templates) {
    for (const [id, r] of Object.entries(resourcesOf(template))) {
      const props = r.Properties ?? {};
      if (r.Type === 'AWS::Lambda::Function') functions++;
      if (r.Type === 'AWS::DynamoDB::Table') tables++;
      if (r.Type === 'AWS::Events::Rule') {
        const pattern = (props.EventPattern ?? {}) as Record<string, unknown>;
        const targets = (Array.isArray(props.Targets) ? props.Targets : []).map((t: { Arn?: unknown }) => {
          const arn = t?.Arn as Record<string, unknown> | undefined;
          const att = arn?.['Fn::GetAtt'];
          if (Array.isArray(att) && typeof att[0] === 'string') return readableId(att[0]);
          if (typeof arn?.Ref === 'string') return readableId(arn.Ref);
          return 'external';
        });
        rules.push({
          stack,
          id,
          bus: props.EventBusName === undefined ? undefined : roleOfRef(stack, props.EventBusName),
          detailTypes: asStrings(pattern['detail-type']),
          targets,
        });
      }
      if (r.Type === 'AWS::StepFunctions::StateMachine') stateMachines.push({ stack, id, ...readDefinition(props) });
    }
  }
  return { stacks: templates.map((t) => t.stack), buses, rules, stateMachines, functions, tables };
}

/** A definition is a string with ${...} placeholders, or an `Fn::Join` of strings and tokens. */
function readDefinition(props: Record<string, unknown>): Pick<AppStateMachine, 'definition' | 'problem'> {
  let text: string | undefined;
  const raw = props.DefinitionString ?? props.Definition;
  if (typeof raw === 'string') text = raw;
  else if (raw && typeof raw === 'object' && Array.isArray((raw as Record<string, unknown>)['Fn::Join'])) {
    const [sep, parts] = (raw as Record<string, unknown>)['Fn::Join'] as [string, unknown[]];
    text = parts.map((p) => (typeof p === 'string' ? p : '${token}')).join(sep);
  } else if (raw && typeof raw === 'object') {
    return { definition: raw as AppStateMachine['definition'] };
  }
  if (text === undefined) return { problem: 'no DefinitionString or Definition' };
  try {
    return { definition: JSON.parse(text) as AppStateMachine['definition'] };
  } catch (cause) {
    return { problem: `the definition is not JSON: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
}

export function appView(facts: AppFacts): AppView {
  return {
    stacks: facts.stacks,
    rules: facts.rules.length,
    busRules: facts.rules
      .filter((r): r is AppRule & { bus: 'legacy' | 'services' } => r.bus !== undefined)
      .map((r) => ({ rule: `${r.stack}/${readableId(r.id)}`, bus: r.bus, detailTypes: r.detailTypes, targets: r.targets })),
    stateMachines: facts.stateMachines.map((s) => `${s.stack}/${readableId(s.id)}`),
    functions: facts.functions,
    tables: facts.tables,
  };
}
