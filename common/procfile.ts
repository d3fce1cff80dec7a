// Procfile parsing: "<type>: <command>" per line, as Heroku reads it.

const TYPE = /^[A-Za-z0-9_-]+$/;

export class ProcfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcfileError';
  }
}

export function parseProcfile(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ProcfileError(`Procfile line ${i + 1}: expected "<type>: <command>", got ${JSON.stringify(raw)}`);
    const type = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();
    if (!TYPE.test(type)) throw new ProcfileError(`Procfile line ${i + 1}: invalid process type ${JSON.stringify(type)}`);
    if (command === '') throw new ProcfileError(`Procfile line ${i + 1}: process type "${type}" has no command`);
    if (type in types) throw new ProcfileError(`Procfile line ${i + 1}: process type "${type}" is defined twice`);
    types[type] = command;
  });
  return types;
}
