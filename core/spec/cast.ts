import { TranslationError } from '../errors';
import { deletePath, getPath, setPath } from '../events/paths';
import type { CastOp, ServiceEventDef } from './schema';

/** The inverse of one cast op, or undefined when the op loses information (remove without restoreWith). */
export function invertOp(op: CastOp): CastOp | undefined {
  switch (op.op) {
    case 'rename':
      return { op: 'rename', from: op.to, to: op.from };
    case 'setDefault':
      return { op: 'remove', path: op.path, restoreWith: op.value };
    case 'remove':
      return op.restoreWith === undefined ? undefined : { op: 'setDefault', path: op.path, value: op.restoreWith };
  }
}

function applyOp(payload: Record<string, unknown>, op: CastOp): void {
  switch (op.op) {
    case 'rename': {
      const v = getPath(payload, op.from);
      if (v !== undefined) {
        deletePath(payload, op.from);
        pruneEmptyParents(payload, op.from);
        setPath(payload, op.to, v);
      }
      return;
    }
    case 'setDefault':
      if (getPath(payload, op.path) === undefined) setPath(payload, op.path, structuredClone(op.value));
      return;
    case 'remove':
      deletePath(payload, op.path);
      return;
  }
}

/**
 * After a field moved out of a nested object, drop the parents it leaves empty: undoing
 * `rename total -> amount.total` and `currency -> amount.currency` must not leave `amount: {}` behind, which
 * the older version's schema does not declare.
 */
function pruneEmptyParents(payload: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  for (let depth = parts.length - 1; depth >= 1; depth--) {
    const parentPath = parts.slice(0, depth).join('.');
    const parent = getPath(payload, parentPath);
    if (parent === null || typeof parent !== 'object' || Array.isArray(parent) || Object.keys(parent).length > 0) return;
    deletePath(payload, parentPath);
  }
}

/** The ops that take a payload from `from` to `to` (either direction), or undefined if no cast exists. */
export function castPlan(def: ServiceEventDef, from: number, to: number): CastOp[] | undefined {
  if (from === to) return [];
  const ups = new Map((def.upcasts ?? []).map((u) => [u.from, u.ops]));
  const plan: CastOp[] = [];
  if (from < to) {
    for (let v = from; v < to; v++) {
      const ops = ups.get(v);
      if (!ops) return undefined;
      plan.push(...ops);
    }
    return plan;
  }
  for (let v = from - 1; v >= to; v--) {
    const ops = ups.get(v);
    if (!ops) return undefined;
    for (const op of [...ops].reverse()) {
      const inv = invertOp(op);
      if (!inv) return undefined;
      plan.push(inv);
    }
  }
  return plan;
}

/** Moves a payload between versions of one service event. Never mutates its input. */
export function castPayload(
  eventType: string,
  def: ServiceEventDef,
  payload: Record<string, unknown>,
  from: number,
  to: number,
): Record<string, unknown> {
  const plan = castPlan(def, from, to);
  if (!plan) {
    throw new TranslationError(`${eventType}: no cast from version ${from} to version ${to}`, { eventType, from, to });
  }
  const out = structuredClone(payload);
  for (const op of plan) applyOp(out, op);
  return out;
}
