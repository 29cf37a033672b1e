import type { ActionKind } from './plan';
import type { ReferenceService } from './steps';

/*
 * Which Lambda performs which saga action, stated once. The definition builder (asl.ts) names each
 * function by its substitution key, lib/ creates the function from its folder and fills the key with its
 * ARN, and the statemachine tier registers the in-process handler under the same key: none of them keeps
 * its own copy of the mapping.
 */

/** The Lambdas the state machine invokes: the definition's placeholder for each and its functions/ folder. */
export const SAGA_FUNCTIONS = {
  inventory: { substitution: 'InventoryFunctionArn', functionDir: 'inventory' },
  payment: { substitution: 'PaymentFunctionArn', functionDir: 'payment' },
  shipping: { substitution: 'ShippingFunctionArn', functionDir: 'shipping' },
  notification: { substitution: 'NotificationFunctionArn', functionDir: 'notification' },
  sagaCommands: { substitution: 'SagaCommandsFunctionArn', functionDir: 'saga-commands' },
} as const;
export type SagaFunction = keyof typeof SAGA_FUNCTIONS;
export type SagaFunctionSubstitution = (typeof SAGA_FUNCTIONS)[SagaFunction]['substitution'];
export const SAGA_FUNCTION_NAMES = Object.keys(SAGA_FUNCTIONS) as SagaFunction[];

/**
 * The Lambda that performs an action, or undefined when the state machine does it itself (the orders
 * table is written through the DynamoDB integration). A monolith-owned step is a command through the
 * bridge, sent by the saga-commands function whatever the step; a service-owned step is its service's.
 */
export function functionOf(action: { readonly kind: ActionKind; readonly service: ReferenceService }): SagaFunction | undefined {
  switch (action.kind) {
    case 'orders-table':
      return undefined;
    case 'monolith':
      return 'sagaCommands';
    case 'service':
    case 'service-callback':
      if (action.service === 'orders') throw new Error(`the orders service has no Lambda: a ${action.kind} action cannot name it`);
      return action.service;
  }
}
