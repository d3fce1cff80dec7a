// Turns a stream of text chunks into whole lines (no trailing newline, \r stripped).

export interface LineSplitter {
  push(chunk: Buffer | string): void;
  /** Emit what is left after the last newline. */
  flush(): void;
}

export function createLineSplitter(onLine: (line: string) => void): LineSplitter {
  let rest = '';
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
        emit(rest.slice(0, i));
        rest = rest.slice(i + 1);
        i = rest.indexOf('\n');
      }
    },
    flush() {
      if (rest !== '') emit(rest);
      rest = '';
    },
  };
}
