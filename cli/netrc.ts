// ~/.netrc: where `paas login` stores the token, so that git (through libcurl) sends it too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface NetrcEntry { machine: string; login: string; password: string }

export const netrcPath = (env: NodeJS.ProcessEnv = process.env): string => env.NETRC || path.join(os.homedir(), '.netrc');

/** Parses the machine entries; other content (macdef, default) is kept verbatim when writing. */
export function parseNetrc(text: string): NetrcEntry[] {
  const tokens = text.split(/\s+/).filter(Boolean);
  const entries: NetrcEntry[] = [];
  let cur: NetrcEntry | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === 'machine') { cur = { machine: tokens[++i] ?? '', login: '', password: '' }; entries.push(cur); }
    else if (t === 'default') cur = null;
    else if (cur && t === 'login') cur.login = tokens[++i] ?? '';
    else if (cur && t === 'password') cur.password = tokens[++i] ?? '';
  }
  return entries;
}

export function readNetrc(file: string): NetrcEntry[] {
  try { return parseNetrc(fs.readFileSync(file, 'utf8')); } catch { return []; }
}

/** Replaces (or removes, with entry null) the block of one machine, leaving the others as they were. */
export function updateNetrc(text: string, machine: string, entry: NetrcEntry | null): string {
  const blocks = text.split(/(?=^\s*(?:machine|default)\b)/m);
  const kept = blocks.filter((b) => {
    const m = /^\s*machine\s+(\S+)/.exec(b);
    return !(m && m[1] === machine);
  });
  let out = kept.join('').replace(/\s*$/, '');
  if (entry) out += `${out ? '\n' : ''}machine ${entry.machine}\n  login ${entry.login}\n  password ${entry.password}`;
  return out ? `${out}\n` : '';
}

export function writeNetrcEntry(file: string, machine: string, entry: NetrcEntry | null): void {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { /* new file */ }
  fs.writeFileSync(file, updateNetrc(text, machine, entry), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
