// Dyno sizes as Heroku names them. A size sets the memory limit, as a multiple of the platform's
// PAAS_DYNO_MEMORY_MB (standard-1X); every other limit is the same for all sizes.
import { InvalidParamsError } from '../../common/errors.ts';

const SIZES: Record<string, number> = {
  'eco': 1, 'basic': 1, 'standard-1X': 1, 'standard-2X': 2, 'performance-M': 5, 'performance-L': 28,
};

export const DEFAULT_SIZE = 'standard-1X';

/** The size's canonical name (any letter case given) and memory limit in MiB; unknown: 422. */
export function dynoSize(name: string | undefined, baseMemoryMb: number): { size: string; memoryMb: number } {
  if (name === undefined) return { size: DEFAULT_SIZE, memoryMb: baseMemoryMb };
  const size = Object.keys(SIZES).find((s) => s.toLowerCase() === name.toLowerCase());
  if (!size) throw new InvalidParamsError(`Dyno size ${JSON.stringify(name)} is unknown: use one of ${Object.keys(SIZES).join(', ')}.`);
  return { size, memoryMb: baseMemoryMb * SIZES[size] };
}
