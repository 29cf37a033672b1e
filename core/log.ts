/**
 * What the I/O layers log through. Lambda handlers pass their structured logger and the CLI its own; the
 * adapters depend on this shape only, never on a logger implementation.
 */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
