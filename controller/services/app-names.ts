// Random app names, Heroku style; the naming rule is common/app-name.ts.
import { randomInt } from 'node:crypto';

const ADJECTIVES = ['quiet', 'brave', 'calm', 'eager', 'fuzzy', 'gentle', 'happy', 'lively', 'misty', 'polite', 'rapid', 'shiny', 'sunny', 'tidy', 'vast', 'witty'];
const NOUNS = ['river', 'meadow', 'forest', 'harbor', 'summit', 'canyon', 'island', 'valley', 'breeze', 'comet', 'lagoon', 'prairie', 'glacier', 'orchard'];

/** Heroku-style random name, e.g. "misty-harbor-4821". */
export function randomAppName(): string {
  const pick = (list: string[]): string => list[randomInt(list.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(1000, 10000)}`;
}
