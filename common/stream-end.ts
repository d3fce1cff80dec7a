// How a streamed plain-text answer says how it ended: its last line is a marker (NUL, a name, a
// space) and a JSON document. Everything before that line is the stream's own output. Used by
// the git push endpoint (POST /internal/push/:app → the pre-receive hook). (Attached one-off
// dynos say it in their own protocol: common/run-protocol.ts.)

/** Build of a git push; the document is a PushOutcome, which the hook turns into its exit status. */
export const RESULT_MARKER = '\u0000paas-result ';

export interface PushOutcome { ok: boolean; message: string }

/** The closing line: marker, document, newline. */
export const endLine = (marker: string, doc: PushOutcome): string => `${marker}${JSON.stringify(doc)}\n`;

/** The document of a closing line (starting with the marker; trailing whitespace ignored). */
export function parseEndLine<T extends PushOutcome>(line: string, marker: string): T {
  return JSON.parse(line.slice(marker.length).trim()) as T;
}
