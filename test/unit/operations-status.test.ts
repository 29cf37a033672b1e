import { renderDeploymentStatus, type DeploymentStatus } from '../../cli/operations/status-view';

const base: DeploymentStatus = {
  at: '2026-12-06T12:00:00.000Z',
  windowMinutes: 60,
  capabilities: [
    {
      capability: 'inventory',
      mode: 'canary',
      percent: 25,
      candidate: 'v2 (inventory-v2)',
      health: { health: 'healthy', stale: false },
      sync: { lagSeconds: 2.5, openConflicts: 1 },
      quarantined: 3,
    },
    {
      capability: 'payment',
      mode: 'legacy',
      percent: 0,
      candidate: 'v1 (payment-v1)',
      health: { health: 'unhealthy', stale: true },
      sync: { missing: 'payment is not synced' },
      quarantined: 0,
    },
    {
      capability: 'shipping',
      health: { missing: 'invalid route entry: percent: 140' },
      sync: { missing: 'payment is not synced' },
      quarantined: 'AccessDenied',
    },
  ],
  deadLetterQueues: {
    'bridge-bridge': { visible: 0, inFlight: 0 },
    'saga-ordersaga': { visible: 1, inFlight: 2 },
    'routing-router': { error: 'gone' },
  },
};

describe('Function: renderDeploymentStatus', () => {
  it.each<[string, RegExp]>([
    ['a canary with its split, sync lag and conflicts', /^inventory\s+canary\s+25% new\s+v2 \(inventory-v2\)\s+healthy\s+2\.5 s\s+1\s+3$/m],
    ['a stale candidate as unhealthy (stale)', /^payment\s+legacy\s+all old\s+v1 \(payment-v1\)\s+unhealthy \(stale\)\s+-\s+-\s+0$/m],
    ['an invalid entry', /^shipping\s+INVALID\s+-\s+-\s+\?\s+-\s+-\s+\?$/m],
    ['the DLQ headline', /^dead-letter queues: 1 of 3 NOT EMPTY$/m],
    ['a waiting DLQ flagged', /^ {2}saga-ordersaga\s+1 waiting, 2 in flight {2}<- look here$/m],
    ['an unreadable DLQ', /^ {2}routing-router\s+unreadable: gone$/m],
    ['why sync figures are missing, once', /^sync: payment is not synced$/m],
    ['why a quarantine count is missing', /^shipping: quarantine count unavailable: AccessDenied$/m],
    ['the stale-health note', /^payment: the candidate's last health report is older than its TTL/m],
  ])('shows %s', (_name, pattern) => {
    // Act
    const text = renderDeploymentStatus(base);
    // Assess
    expect(text).toMatch(pattern);
  });

  it('says when every DLQ is empty, and when none could be read', () => {
    // Act
    const empty = renderDeploymentStatus({ ...base, deadLetterQueues: { a: { visible: 0, inFlight: 0 } } });
    const unread = renderDeploymentStatus({ ...base, deadLetterQueues: 'no DeadLetterQueueUrls output' });
    // Assess
    expect(empty).toContain('dead-letter queues: all 1 empty');
    expect(unread).toContain('dead-letter queues: not read (no DeadLetterQueueUrls output)');
    expect((empty.match(/^sync: /gm) ?? []).length).toBe(1);
  });
});
