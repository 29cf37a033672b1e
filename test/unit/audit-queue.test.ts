import { auditEventIdOf, auditQueueEntryFor, AuditQueueMessageError, parseAuditQueueMessage, sqsIdFor } from '../../core/audit';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';

const spec = parseSpec(config);

describe('Module: core/audit/queue', () => {
  describe('Function: sqsIdFor', () => {
    it.each([['order-1000001'], ['uncorrelated'], ['a'.repeat(128)]])('keeps %s, which SQS accepts as a group or dedup id', (id) => {
      // Act / Assess
      expect(sqsIdFor(id)).toBe(id);
    });

    it.each([['a'.repeat(129)], ['has space'], ['ünïcode'], ['']])('hashes %j, which SQS would refuse, to a stable id', (id) => {
      // Act
      const out = sqsIdFor(id);

      // Assess
      expect(out).toMatch(/^sha256~[0-9a-f]{64}$/);
      expect(sqsIdFor(id)).toBe(out);
    });
  });

  describe('Function: auditQueueEntryFor', () => {
    it('groups by the audit stream and deduplicates by the EventBridge id', () => {
      // Prepare
      const detail = { ...spec.bridge.legacyEvents.ORDER_PLACED.examples[0] };
      const event = { id: 'eb-1', source: 'shop.monolith', 'detail-type': 'ORDER_PLACED', detail };

      // Act
      const entry = auditQueueEntryFor(spec, event, 'legacy');

      // Assess
      expect(entry).toMatchObject({ groupId: 'order-1000001', deduplicationId: 'eb-1', stream: 'order-1000001', eventId: 'eb-1' });
      expect(parseAuditQueueMessage(entry.body)).toEqual({ bus: 'legacy', event });
    });

    it('gives an event without id the same digest id on every delivery', () => {
      // Prepare
      const event = { source: 'x', detail: { a: 1 } };

      // Act / Assess
      expect(auditQueueEntryFor(spec, event, 'services').deduplicationId).toBe(auditEventIdOf({ ...event }));
      expect(auditEventIdOf(event)).not.toBe(auditEventIdOf({ source: 'x', detail: { a: 2 } }));
    });
  });

  describe('Function: parseAuditQueueMessage', () => {
    it.each([
      ['not json', 'body'],
      ['[1]', 'body'],
      ['{"event":{}}', 'bus'],
      ['{"bus":"","event":{}}', 'bus'],
      ['{"bus":"legacy"}', 'event'],
    ])('refuses %s, naming the field %s', (body, field) => {
      // Act
      let error: unknown;
      try {
        parseAuditQueueMessage(body);
      } catch (err) {
        error = err;
      }

      // Assess
      expect(error).toBeInstanceOf(AuditQueueMessageError);
      expect((error as AuditQueueMessageError).context.field).toBe(field);
      expect((error as Error).message).toContain(field);
    });
  });
});
