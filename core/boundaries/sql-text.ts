/*
 * Splitting a SQL script into statements. The parser reads one statement at a time so that one it cannot
 * read (a vendor extension, a placeholder) is reported and skipped instead of failing the whole file. This
 * is a lexer, not a parser: it only has to know where quotes, comments and dollar-quoted bodies start and
 * end, so that a `;` inside them does not end the statement.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const c = script[i];
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const end = script.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '#') {
      const end = script.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(script, i, c);
    } else if (c === '$') {
      const m = /^\$[A-Za-z_]*\$/.exec(script.slice(i, i + 64));
      if (m) {
        const end = script.indexOf(m[0], i + m[0].length);
        i = end < 0 ? n : end + m[0].length;
      } else i += 1;
    } else if (c === ';') {
      push(out, script.slice(start, i));
      i += 1;
      start = i;
    } else i += 1;
  }
  push(out, script.slice(start));
  return out;
}

function skipQuoted(s: string, i: number, q: string): number {
  let j = i + 1;
  while (j < s.length) {
    if (s[j] === '\\' && q !== '`') j += 2;
    else if (s[j] === q) {
      if (s[j + 1] === q) j += 2;
      else return j + 1;
    } else j += 1;
  }
  return s.length;
}

function push(out: string[], stmt: string): void {
  const trimmed = stripComments(stmt).trim();
  if (trimmed.length > 0) out.push(trimmed);
}

/** Removes `--`, `#` and block comments outside quotes (mysqldump's `/*!40101 ... *\/` included). */
export function stripComments(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if ((c === '-' && next === '-') || c === '#') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      const end = skipQuoted(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * The text up to the parenthesis that closes the first `(` : a CREATE TABLE without its table options.
 * Options (ENGINE=, CHARSET, placeholders such as `ENGINE=ENGINE_TYPE COLLATION`) say nothing about
 * relationships, so when the parser refuses them the definition is read without them.
 */
export function withoutTableOptions(create: string): string | undefined {
  const open = create.indexOf('(');
  if (open < 0) return undefined;
  let depth = 0;
  let i = open;
  while (i < create.length) {
    const c = create[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(create, i, c);
      continue;
    }
    if (c === '(') depth += 1;
    else if (c === ')') {
      depth -= 1;
      if (depth === 0) return create.slice(0, i + 1);
    }
    i += 1;
  }
  return undefined;
}
