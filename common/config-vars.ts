// Config vars as diffs: {KEY: "value"} sets, {KEY: null} unsets (Heroku and Deis semantics).

export const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type ConfigPatch = Record<string, string | null>;

/** null when the patch is valid, else the reason. */
export function configPatchProblem(patch: unknown): string | null {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return 'Config vars must be a JSON object of KEY: "value" (or null to unset).';
  const entries = Object.entries(patch);
  if (entries.length === 0) return 'No config vars given.';
  for (const [key, value] of entries) {
    if (!CONFIG_KEY.test(key)) return `Invalid config var name ${JSON.stringify(key)}: use letters, digits and underscores, not starting with a digit.`;
    if (value !== null && typeof value !== 'string') return `Config var ${key} must be a string or null.`;
  }
  return null;
}

export function applyConfigPatch(config: Record<string, string>, patch: ConfigPatch): Record<string, string> {
  const next = { ...config };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** Release description from a diff, as Heroku words it: "Set A, B config vars", "Remove C config var". */
export function describeConfigChange(before: Record<string, string>, after: Record<string, string>): string | null {
  const set = Object.keys(after).filter((k) => before[k] !== after[k]).sort();
  const removed = Object.keys(before).filter((k) => !(k in after)).sort();
  const plural = (keys: string[]): string => `${keys.join(', ')} config var${keys.length > 1 ? 's' : ''}`;
  const parts = [];
  if (set.length) parts.push(`Set ${plural(set)}`);
  if (removed.length) parts.push(`${set.length ? 'remove' : 'Remove'} ${plural(removed)}`);
  return parts.length ? parts.join('; ') : null;
}
