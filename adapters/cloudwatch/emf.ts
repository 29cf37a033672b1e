/**
 * Writes one CloudWatch Embedded Metric Format record as a line on stdout. Straight to the stream, not
 * through console.log: in Lambda the runtime's console prefixes each line (or wraps it in its JSON log
 * format's envelope), and CloudWatch then no longer sees an EMF document and extracts no metric.
 */
export function writeEmf(fields: Readonly<Record<string, unknown>>): void {
  process.stdout.write(`${JSON.stringify(fields)}\n`);
}
