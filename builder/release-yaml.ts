// Reads bin/release output: the small YAML subset Heroku buildpacks print.
//   ---
//   config_vars:
//     KEY: value
//   default_process_types:
//     web: npm start

export interface ReleaseInfo {
  processTypes: Record<string, string>;
  configVars: Record<string, string>;
}

const SECTIONS: Record<string, keyof ReleaseInfo> = { default_process_types: 'processTypes', config_vars: 'configVars' };

export function parseRelease(text: string): ReleaseInfo {
  const info: ReleaseInfo = { processTypes: {}, configVars: {} };
  let section: keyof ReleaseInfo | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || line.trimStart().startsWith('#') || line.startsWith('---')) continue;
    const indented = /^\s/.test(line);
    const match = /^\s*([A-Za-z0-9_.-]+)\s*:(?:\s+(.*))?$/.exec(line);
    if (!indented) {
      section = match ? (SECTIONS[match[1]] ?? null) : null;
      continue;
    }
    if (section && match && match[2] !== undefined) info[section][match[1]] = unquote(match[2]);
  }
  return info;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      return v.slice(1, -1);
    }
  }
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replaceAll("''", "'");
  return v;
}
