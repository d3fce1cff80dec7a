// .slugignore-style exclude patterns (gitignore syntax, the common part): `#` comments, `*` and
// `?` within a path segment, `**` across segments, a trailing `/` for directories only, a
// leading (or inner) `/` anchors to the root, `!` re-includes. `.git` is always left out.

export interface IgnoreRule { re: RegExp; negate: boolean; dirOnly: boolean }

function toRegExp(pattern: string): RegExp {
  const anchored = pattern.startsWith('/') || pattern.slice(0, -1).includes('/');
  const body = pattern.replace(/^\//, '');
  let re = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '*' && body[i + 1] === '*') {
      if (body[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}(?:/.*)?$`);
}

export function parseIgnore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.replace(/\s+$/, '');
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    if (line) rules.push({ re: toRegExp(line), negate, dirOnly });
  }
  return rules;
}

/** Whether `rel` (a path inside the source, `/`-separated) is left out. */
export function isIgnored(rules: IgnoreRule[], rel: string, isDir: boolean): boolean {
  if (rel === '.git' || rel.startsWith('.git/')) return true;
  let ignored = false;
  for (const r of rules) {
    if (r.dirOnly && !isDir) continue;
    if (r.re.test(rel)) ignored = !r.negate;
  }
  return ignored;
}
