import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { apiGenerateCommand } from '../../cli/commands/api';

const ROOT = path.join(__dirname, '..', '..');

describe('Command: cutover api generate', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one document per service into a directory, and one file with --service', async () => {
    // Act
    const all = await apiGenerateCommand({ out: dir }, { cwd: ROOT, stderr: () => undefined });
    const one = await apiGenerateCommand(
      { service: 'orders', out: path.join(dir, 'orders.json'), auth: 'iam' },
      { cwd: ROOT, stderr: () => undefined },
    );

    // Assess
    expect([all, one]).toEqual([0, 0]);
    expect(fs.readdirSync(dir).sort()).toEqual(['catalog.openapi.json', 'customers.openapi.json', 'orders.json', 'orders.openapi.json']);
    const orders = JSON.parse(fs.readFileSync(path.join(dir, 'orders.json'), 'utf8'));
    expect(orders.openapi).toBe('3.1.0');
    expect(orders.components.securitySchemes).toHaveProperty('sigv4');
    expect(Object.keys(orders.paths)).toContain('/v1/payments/{orderId}/{paymentId}');
  });

  it('exits 2 naming the services when --service is unknown', async () => {
    // Prepare
    const err: string[] = [];

    // Act
    const code = await apiGenerateCommand({ service: 'nope' }, { cwd: ROOT, stderr: (t) => err.push(t), stdout: () => undefined });

    // Assess
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/no service "nope".*\n.*catalog, orders, customers/);
  });
});
