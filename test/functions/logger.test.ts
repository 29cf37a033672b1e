import { Logger } from '../../functions/shared/logger';

/** Lines written to stdout and stderr while `act` runs, parsed. */
function capture(act: () => void): { out: Record<string, any>[]; err: Record<string, any>[] } {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    act();
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const parse = (chunks: string[]) =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
  return { out: parse(out), err: parse(err) };
}

describe('Class: Logger', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    delete process.env.POWERTOOLS_DEV;
    delete process.env.AWS_LAMBDA_LOG_LEVEL;
    delete process.env.POWERTOOLS_LOG_LEVEL;
    process.env.LOG_LEVEL = 'INFO';
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  describe('Method: child', () => {
    it('puts the correlation id and the child keys on every line of the child, not of the parent', () => {
      // Act
      const { out, err } = capture(() => {
        const log = new Logger('router');
        const child = log.child({ orderId: 'o-1', correlationId: 'order-o-1' });
        child.info('routed', { copies: 2 });
        child.warn('held', { capability: 'inventory' });
        log.info('done');
      });

      // Assess
      expect(out[0]).toMatchObject({
        level: 'INFO',
        message: 'routed',
        service: 'router',
        correlation_id: 'order-o-1',
        orderId: 'o-1',
        copies: 2,
      });
      expect(err[0]).toMatchObject({ level: 'WARN', message: 'held', correlation_id: 'order-o-1', capability: 'inventory' });
      expect(out[1]).toMatchObject({ message: 'done' });
      expect(out[1]).not.toHaveProperty('correlation_id');
      expect(out[1]).not.toHaveProperty('orderId');
    });
  });

  describe('Method: error', () => {
    it('keeps the error name, message, stack and cause', () => {
      // Act
      const { err } = capture(() =>
        new Logger('bridge').error('put failed', { error: new Error('refused', { cause: new TypeError('bad detail') }) }),
      );

      // Assess
      expect(err[0].error).toMatchObject({ name: 'Error', message: 'refused', cause: { name: 'TypeError', message: 'bad detail' } });
      expect(err[0].error.stack).toContain('refused');
    });
  });

  it.each([
    ['WARN', ['warn', 'error']],
    ['DEBUG', ['debug', 'info', 'warn', 'error']],
  ])('honours the level %s', (level, expected) => {
    // Prepare
    process.env.LOG_LEVEL = level;

    // Act
    const { out, err } = capture(() => {
      const log = new Logger('svc');
      log.debug('debug');
      log.info('info');
      log.warn('warn');
      log.error('error');
    });

    // Assess
    expect([...out, ...err].map((l) => l.message).sort()).toEqual([...expected].sort());
  });
});
