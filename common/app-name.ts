// App names are DNS labels: they become <app>.<domain>, the registry repository and the build's
// image name. The controller checks them when an app is made or renamed; the builder checks
// the name a job carries against the same rule.

export const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

export const isAppName = (name: unknown): name is string => typeof name === 'string' && APP_NAME.test(name) && !name.includes('--');

/** null when valid, else the reason. */
export function appNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'name must be a string';
  if (isAppName(name)) return null;
  return `Name "${name}" is invalid: use 3 to 30 lowercase letters, digits and single dashes, starting with a letter and ending with a letter or digit.`;
}
