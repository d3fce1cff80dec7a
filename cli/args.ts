// Minimal argv parsing: positionals, --flag, --flag value, --flag=value, -a value.

export interface Parsed {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

const SHORT: Record<string, string> = { a: 'app', r: 'remote', t: 'tail', n: 'num', d: 'dyno', j: 'json' };
/** Flags that never take a value. */
const BOOLEAN = new Set(['json', 'tail', 'help', 'force', 'yes', 'detached', 'admin', 'shell']);

export function parseArgs(argv: string[]): Parsed {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    let name: string | null = null;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq > 0) value = arg.slice(eq + 1);
    } else if (/^-[a-zA-Z]$/.test(arg)) {
      name = SHORT[arg[1]] ?? arg[1];
    }
    if (name === null) { positionals.push(arg); continue; }
    if (value === undefined && !BOOLEAN.has(name) && i + 1 < argv.length && !argv[i + 1].startsWith('-')) value = argv[++i];
    flags[name] = value ?? true;
  }
  return { positionals, flags };
}

export function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
}
