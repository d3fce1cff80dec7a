// App names are DNS labels: they become <app>.<domain> and the registry repository name.
import { randomInt } from 'node:crypto';

export const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

/** null when valid, else the reason. */
export function appNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'name must be a string';
  if (APP_NAME.test(name) && !name.includes('--')) return null;
  return `Name "${name}" is invalid: use 3 to 30 lowercase letters, digits and single dashes, starting with a letter and ending with a letter or digit.`;
}

const ADJECTIVES = ['quiet', 'brave', 'calm', 'eager', 'fuzzy', 'gentle', 'happy', 'lively', 'misty', 'polite', 'rapid', 'shiny', 'sunny', 'tidy', 'vast', 'witty'];
const NOUNS = ['river', 'meadow', 'forest', 'harbor', 'summit', 'canyon', 'island', 'valley', 'breeze', 'comet', 'lagoon', 'prairie', 'glacier', 'orchard'];

/** Heroku-style random name, e.g. "misty-harbor-4821". */
export function randomAppName(): string {
  const pick = (list: string[]): string => list[randomInt(list.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(1000, 10000)}`;
}
