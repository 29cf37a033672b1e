import { RoutingCache } from '../../core/routing';

/** A loader whose calls resolve or reject only when the test says so. */
function controlledLoader<T>() {
  const calls: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  const load = jest.fn(
    () =>
      new Promise<T>((resolve, reject) => {
        calls.push({ resolve, reject });
      }),
  );
  return { load, calls };
}

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Class: RoutingCache', () => {
  describe('Method: get', () => {
    it('loads once, then serves the cached table while it is younger than the TTL', async () => {
      // Prepare
      const clock = fakeClock();
      let n = 0;
      const load = jest.fn(async () => ++n);
      const cache = new RoutingCache({ load, clock: clock.now });
      // Act
      const first = await cache.get();
      clock.advance(999);
      const second = await cache.get();
      // Assess
      expect([first, second]).toEqual([1, 1]);
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('reloads once the table is TTL old: never serves a table 1000 ms old or older', async () => {
      const clock = fakeClock();
      let n = 0;
      const cache = new RoutingCache({ load: async () => ++n, clock: clock.now });
      await cache.get();
      clock.advance(1000);
      expect(await cache.get()).toBe(2);
      clock.advance(1500);
      expect(await cache.get()).toBe(3);
      expect(cache.loadCount).toBe(3);
    });

    it('measures age from when the load started, so a slow load does not stretch the bound', async () => {
      // Prepare
      const clock = fakeClock();
      const { load, calls } = controlledLoader<string>();
      const cache = new RoutingCache({ load, clock: clock.now, ttlMs: 1000 });
      // Act: the load takes 800 ms
      const pending = cache.get();
      clock.advance(800);
      calls[0].resolve('table@0');
      await pending;
      clock.advance(250); // 1050 ms after the load started, 250 after it returned
      const again = cache.get();
      // Assess
      expect(load).toHaveBeenCalledTimes(2);
      calls[1].resolve('table@1050');
      expect(await again).toBe('table@1050');
    });

    it('coalesces concurrent callers onto one load', async () => {
      const clock = fakeClock();
      const { load, calls } = controlledLoader<string>();
      const cache = new RoutingCache({ load, clock: clock.now });
      const all = [cache.get(), cache.get(), cache.get()];
      clock.advance(10);
      all.push(cache.get());
      calls[0].resolve('t1');
      expect(await Promise.all(all)).toEqual(['t1', 't1', 't1', 't1']);
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('does not join a load that started a TTL ago or more: starts a fresh one', async () => {
      const clock = fakeClock();
      const { load, calls } = controlledLoader<string>();
      const cache = new RoutingCache({ load, clock: clock.now });
      const slow = cache.get();
      clock.advance(1000);
      const fresh = cache.get();
      expect(load).toHaveBeenCalledTimes(2);
      calls[1].resolve('new');
      calls[0].resolve('old');
      expect(await fresh).toBe('new');
      expect(await slow).toBe('old');
      // The older load finished last but must not replace the newer table.
      expect(await cache.get()).toBe('new');
      expect(load).toHaveBeenCalledTimes(2);
    });

    it('does not cache a failed load, passes the error to every waiting caller, and retries next time', async () => {
      // Prepare
      const clock = fakeClock();
      const { load, calls } = controlledLoader<string>();
      const cache = new RoutingCache({ load, clock: clock.now });
      // Act
      const a = cache.get();
      const b = cache.get();
      calls[0].reject(new Error('ProvisionedThroughputExceededException'));
      // Assess
      await expect(a).rejects.toThrow('ProvisionedThroughputExceededException');
      await expect(b).rejects.toThrow('ProvisionedThroughputExceededException');
      const c = cache.get();
      expect(load).toHaveBeenCalledTimes(2);
      calls[1].resolve('ok');
      expect(await c).toBe('ok');
    });

    it('never serves a stale table when a reload fails', async () => {
      const clock = fakeClock();
      let fail = false;
      const cache = new RoutingCache({
        load: async () => {
          if (fail) throw new Error('table unreachable');
          return 'table';
        },
        clock: clock.now,
      });
      expect(await cache.get()).toBe('table');
      fail = true;
      clock.advance(1000);
      await expect(cache.get()).rejects.toThrow('table unreachable');
      expect(cache.peek()).toBeUndefined();
    });

    it('turns a loader that throws synchronously into a rejected promise', async () => {
      const cache = new RoutingCache<string>({
        load: () => {
          throw new Error('bad config');
        },
      });
      await expect(cache.get()).rejects.toThrow('bad config');
    });

    it('uses a 1000 ms TTL by default', () => {
      expect(new RoutingCache({ load: async () => 1 }).ttlMs).toBe(1000);
    });
  });

  describe('Method: peek', () => {
    it('returns the table synchronously while fresh, undefined once it is TTL old', async () => {
      const clock = fakeClock();
      const cache = new RoutingCache({ load: async () => 'table', clock: clock.now, ttlMs: 500 });
      expect(cache.peek()).toBeUndefined();
      await cache.get();
      clock.advance(499);
      expect(cache.peek()).toBe('table');
      expect(cache.ageMs()).toBe(499);
      clock.advance(1);
      expect(cache.peek()).toBeUndefined();
    });
  });

  describe('Method: invalidate', () => {
    it('forces the next get to load, and drops the result of a load begun before it', async () => {
      const clock = fakeClock();
      const { load, calls } = controlledLoader<string>();
      const cache = new RoutingCache({ load, clock: clock.now });
      const before = cache.get();
      cache.invalidate();
      const after = cache.get();
      expect(load).toHaveBeenCalledTimes(2);
      calls[0].resolve('before');
      calls[1].resolve('after');
      await Promise.all([before, after]);
      expect(cache.peek()).toBe('after');
    });
  });

  describe('Constructor', () => {
    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects ttlMs %p', (ttlMs) => {
      expect(() => new RoutingCache({ load: async () => 1, ttlMs })).toThrow(`ttlMs must be a finite number >= 0, got ${ttlMs}`);
    });
  });
});
