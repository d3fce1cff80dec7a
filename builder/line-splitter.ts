// Turns a stream of text chunks into whole lines (no trailing newline, \r stripped). A line is
// at most `maxLine` characters: what a build prints beyond that before its newline is dropped
// (the line ends with a note), so output without newlines cannot grow memory without bound.

export interface LineSplitter {
  push(chunk: Buffer | string): void;
  /** Emit what is left after the last newline. */
  flush(): void;
}

/** Longest line kept (characters); the Redis build log and the build log file hold no longer one. */
export const MAX_LINE = 4096;
const TRUNCATED = ' [line truncated]';

export function createLineSplitter(onLine: (line: string) => void, maxLine = MAX_LINE): LineSplitter {
  let rest = '';
  /** The current line was already emitted (truncated): skip to its newline. */
  let skipping = false;
  const emit = (raw: string): void => {
    // A progress bar redraws with \r: keep only the last state of the line.
    const parts = raw.split('\r').filter((p) => p !== '');
    onLine(parts.length > 0 ? parts[parts.length - 1] : '');
  };
  return {
    push(chunk) {
      rest += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let i = rest.indexOf('\n');
      while (i !== -1) {
        if (!skipping) emit(rest.slice(0, i));
        skipping = false;
        rest = rest.slice(i + 1);
        i = rest.indexOf('\n');
      }
      if (rest.length > maxLine) {
        if (!skipping) emit(`${rest.slice(0, maxLine)}${TRUNCATED}`);
        skipping = true;
        rest = '';
      }
    },
    flush() {
      if (rest !== '' && !skipping) emit(rest);
      rest = '';
      skipping = false;
    },
  };
}
