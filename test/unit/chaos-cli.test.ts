import { chaosListCommand, chaosRunCommand } from '../../cli/commands/chaos';
import { CHAOS_SCENARIOS } from '../../core/chaos/scenarios';

function capture() {
  let out = '';
  let err = '';
  return { io: { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) }, out: () => out, err: () => err };
}

describe('Command: cutover chaos', () => {
  describe('Method: list', () => {
    it('names every scenario with what it shows', async () => {
      // Prepare
      const c = capture();

      // Act
      const code = await chaosListCommand({}, c.io);

      // Assess
      expect(code).toBe(0);
      for (const s of CHAOS_SCENARIOS) expect(c.out()).toContain(`${s.name.padEnd(18)} ${s.title}`);
    });

    it('prints each scenario with its fault profile as JSON', async () => {
      // Prepare
      const c = capture();

      // Act
      await chaosListCommand({ json: true }, c.io);
      const listed = JSON.parse(c.out()) as Array<{ name: string; orders: number; faults: Record<string, unknown> }>;

      // Assess
      expect(listed.map((s) => s.name)).toEqual(['payment-flaky', 'carrier-partition', 'oversell']);
      expect(listed.find((s) => s.name === 'oversell')).toMatchObject({
        orders: 2,
        faults: { 'inventory.ConfirmReservation': expect.any(Object) },
      });
    });
  });

  describe('Method: run', () => {
    it('exits 2 naming the known scenarios when the name is unknown, before touching any deployment', async () => {
      // Prepare
      const c = capture();

      // Act
      const code = await chaosRunCommand('payment-flakey', {}, c.io);

      // Assess
      expect(code).toBe(2);
      expect(c.err()).toContain('no chaos scenario "payment-flakey"');
      expect(c.err()).toContain('pick one of payment-flaky, carrier-partition, oversell');
    });

    it('refuses --orders on a scenario with a fixed number of orders', async () => {
      // Prepare
      const c = capture();

      // Act
      const code = await chaosRunCommand('oversell', { orders: 5 }, c.io);

      // Assess
      expect(code).toBe(2);
      expect(c.err()).toContain('--orders 5: scenario oversell always places 2 orders');
    });
  });
});
