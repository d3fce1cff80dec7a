// Finds the contract (RouteSpec) of a request from its method and path.
import type { RouteSpec } from './schemas/common.ts';

export interface RouteMatch { spec: RouteSpec; params: Record<string, string> }

export function routeMatcher(specs: RouteSpec[]): (method: string, path: string) => RouteMatch | null {
  const compiled = specs.map((spec) => {
    const names: string[] = [];
    const source = spec.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { spec, names, re: new RegExp(`^${source}/?$`) };
  });
  return (method, path) => {
    const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    for (const c of compiled) {
      if (c.spec.method !== m) continue;
      const hit = c.re.exec(path);
      if (!hit) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => { params[n] = decodeURIComponent(hit[i + 1]); });
      return { spec: c.spec, params };
    }
    return null;
  };
}
