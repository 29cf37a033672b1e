import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { keyText, TargetError, type Item } from '../../core/migration';
import type { ItemSource, ItemVisitor } from './target';

/**
 * A DynamoDB table export (what "Export to S3" writes in DYNAMODB_JSON format): files of lines, each
 * `{"Item":{...DynamoDB JSON...}}`, often gzipped. Verification can read the target from an export
 * instead of scanning the live table: it costs no read capacity and sees one point in time.
 *
 * Locators are `file:offset:length` for plain files, so the drill-down reads a differing item again with
 * one positional read; gzipped files have no cheap random access, so their items are found again by
 * reading the file once more (only when some item differs).
 */
export class ExportFileSource implements ItemSource {
  private readonly files: string[];

  public constructor(
    location: string,
    private readonly keyAttributes: readonly string[],
  ) {
    this.files = listExportFiles(location);
    this.location = location;
  }

  private readonly location: string;

  public describe(): string {
    return `export://${this.location}`;
  }

  public async scanItems(visit: ItemVisitor, signal?: AbortSignal): Promise<void> {
    await this.scanLines((line, locator, where) => visit(parseExportLine(line, where), locator), signal);
  }

  /**
   * Visits every data line as text, with its locator and a place for error messages. Verification
   * digests the text directly (core `makeExportLineDigester`), which is much cheaper than parsing it.
   */
  public async scanLines(visit: (line: string, locator: string, where: string) => void, signal?: AbortSignal): Promise<void> {
    for (let f = 0; f < this.files.length; f++) {
      if (signal?.aborted) return;
      const gz = this.files[f].endsWith('.gz');
      await this.readFile(f, (line, offset, length, lineNo) =>
        visit(line, gz ? `${f}:` : `${f}:${offset}:${length}`, `${this.files[f]}: line ${lineNo}`),
      );
    }
  }

  private async readFile(index: number, onLine: (line: string, offset: number, length: number, lineNo: number) => void): Promise<void> {
    const file = this.files[index];
    const gz = file.endsWith('.gz');
    const stream = gz ? fs.createReadStream(file).pipe(zlib.createGunzip()) : fs.createReadStream(file, { highWaterMark: 1 << 20 });
    let carry: Buffer | null = null;
    let base = 0;
    let lineNo = 0;
    const emit = (buf: Buffer, start: number, end: number) => {
      lineNo++;
      if (end > start && buf[end - 1] === 13) end--;
      if (end <= start) return;
      onLine(buf.toString('utf8', start, end), base + start, end - start, lineNo);
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        emit(buf, start, nl);
        start = nl + 1;
      }
      base += start;
      carry = start < buf.length ? buf.subarray(start) : null;
    }
    if (carry && carry.length > 0) emit(carry, 0, carry.length);
  }

  public async fetch(wanted: readonly { readonly key: string; readonly locator: string }[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const rescan = new Map<number, Set<string>>();
    const handles = new Map<number, fs.promises.FileHandle>();
    try {
      for (const w of wanted) {
        const [f, offset, length] = w.locator.split(':');
        const fileIndex = Number(f);
        if (offset === undefined || offset === '' || Number.isNaN(fileIndex)) {
          const set = rescan.get(fileIndex) ?? new Set<string>();
          set.add(w.key);
          rescan.set(fileIndex, set);
          continue;
        }
        let fh = handles.get(fileIndex);
        if (!fh) {
          fh = await fs.promises.open(this.files[fileIndex], 'r');
          handles.set(fileIndex, fh);
        }
        const buf = Buffer.alloc(Number(length));
        await fh.read(buf, 0, buf.length, Number(offset));
        const item = parseExportLine(buf.toString('utf8'), `${this.files[fileIndex]} at byte ${offset}`);
        found.set(keyText(item, this.keyAttributes), item);
      }
    } finally {
      for (const fh of handles.values()) await fh.close();
    }
    for (const [fileIndex, keys] of rescan) {
      const targets = Number.isNaN(fileIndex) ? this.files.map((_, i) => i) : [fileIndex];
      for (const f of targets) {
        await this.readFile(f, (line, _offset, _length, lineNo) => {
          const item = parseExportLine(line, `${this.files[f]}: line ${lineNo}`);
          const k = keyText(item, this.keyAttributes);
          if (keys.has(k)) found.set(k, item);
        });
      }
    }
    return found;
  }
}

/** The item of one export line: `{"Item":{...}}`, or a bare item. */
export function parseExportLine(line: string, where: string): Item {
  let parsed: { Item?: unknown } & Item;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    throw new TargetError(`${where} is not JSON`, { where }, { cause: e });
  }
  return (parsed.Item && typeof parsed.Item === 'object' && !Array.isArray(parsed.Item) ? parsed.Item : parsed) as Item;
}

/** The data files of an export: a file, or every .json / .json.gz / .jsonl file under a directory. */
export function listExportFiles(location: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch (e) {
    throw new TargetError(`export ${location} does not exist`, { location }, { cause: e });
  }
  if (stat.isFile()) return [location];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(json|jsonl)(\.gz)?$/.test(entry.name) && !/manifest/i.test(entry.name)) out.push(p);
    }
  };
  walk(location);
  if (out.length === 0) throw new TargetError(`export ${location} holds no .json, .jsonl or .json.gz data files`, { location });
  return out;
}

/** Writes items as an export file (one `{"Item":...}` line each). Used by tests and benchmarks. */
export class ExportFileWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  public constructor(public readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'w');
  }

  public write(item: Item): void {
    const line = `{"Item":${JSON.stringify(item)}}\n`;
    this.buffer.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    fs.writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }

  public close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}
