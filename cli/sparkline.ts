// One-line charts for the terminal: ▁▂▃▄▅▆▇█ scaled from 0 (or the lowest value below 0) to the
// highest value; a missing value is a space.
const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: Array<number | null>): string {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return ' '.repeat(values.length);
  const low = Math.min(0, ...present);
  const high = Math.max(...present);
  return values.map((v) => {
    if (v === null) return ' ';
    if (high === low) return BARS[0];
    return BARS[Math.min(BARS.length - 1, Math.floor(((v - low) / (high - low)) * BARS.length))];
  }).join('');
}
