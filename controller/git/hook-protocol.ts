// The internal push endpoint answers with plain log lines; its last line is this marker
// followed by a JSON outcome, which the hook turns into its exit status.
export const RESULT_MARKER = '\u0000paas-result ';

export interface PushOutcome {
  ok: boolean;
  message: string;
}
