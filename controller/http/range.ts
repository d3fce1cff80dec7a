// Heroku's list pagination: a `Range` request header picks the sort field, the first value, the
// order and the page size; a partial page is a 206 whose `Next-Range` header the client sends
// back for the next one (the Heroku CLI follows it, or stops after one page when it asked for
// `max=1`). Grammar, as Heroku's: `<field> [[]<start>]..[<end>][; max=<n>][, order=asc|desc]`,
// e.g. `version ..; max=10, order=desc`, `name ]hello..; max=200`.
import type { RequestHandler } from 'express';
import { BadRequestError } from '../../common/errors.ts';

export const DEFAULT_MAX = 200;
export const LARGEST_MAX = 1000;

export interface RangeSpec {
  field: string;
  start?: string;
  /** `]start`: the page begins after it (how Next-Range continues). */
  startExclusive: boolean;
  end?: string;
  max: number;
  order: 'asc' | 'desc';
}

const RANGE = /^\s*([a-z_]+)\s*(?:(\]?)([^.;]*)\.\.([^;]*))?\s*(?:;\s*(.*))?$/;

/** The parsed header, or a 400 naming what is wrong with it. */
export function parseRange(header: string): RangeSpec {
  const m = RANGE.exec(header);
  if (!m) throw new BadRequestError(`Invalid Range header: ${JSON.stringify(header.slice(0, 100))}; expected e.g. "id ..; max=200, order=asc".`);
  const spec: RangeSpec = { field: m[1], startExclusive: m[2] === ']', max: DEFAULT_MAX, order: 'asc' };
  if (m[3]?.trim()) spec.start = m[3].trim();
  if (m[4]?.trim()) spec.end = m[4].trim();
  for (const part of (m[5] ?? '').split(/[,;]/).map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (k === 'max' && /^\d+$/.test(v ?? '') && Number(v) >= 1) spec.max = Math.min(Number(v), LARGEST_MAX);
    else if (k === 'order' && (v === 'asc' || v === 'desc')) spec.order = v;
    else throw new BadRequestError(`Invalid Range parameter ${JSON.stringify(part)}: max=1..${LARGEST_MAX} and order=asc|desc are known.`);
  }
  return spec;
}

type Scalar = string | number | boolean | null | undefined;
const compare = (a: Scalar, b: Scalar): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a ?? ''); const y = String(b ?? '');
  return x < y ? -1 : x > y ? 1 : 0;
};
/** A bound from the header compared as the field's values are (numbers as numbers). */
const asValue = (sample: Scalar, raw: string): Scalar => (typeof sample === 'number' && raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw);

export interface RangedPage<T> { page: T[]; nextRange: string | null; contentRange: string }

/** One page of `items` by `spec`; a field the items do not have is a 400. */
export function applyRange<T extends object>(items: T[], spec: RangeSpec): RangedPage<T> {
  const value = (item: T): Scalar => (item as Record<string, Scalar>)[spec.field];
  if (items.length && !items.some((i) => spec.field in i && (value(i) === null || typeof value(i) !== 'object'))) {
    throw new BadRequestError(`Invalid Range field "${spec.field}" for this list.`);
  }
  const dir = spec.order === 'desc' ? -1 : 1;
  const sample = items.length ? value(items[0]) : undefined;
  let sorted = [...items].sort((a, b) => dir * compare(value(a), value(b)));
  if (spec.start !== undefined) {
    const start = asValue(sample, spec.start);
    sorted = sorted.filter((i) => { const c = dir * compare(value(i), start); return spec.startExclusive ? c > 0 : c >= 0; });
  }
  if (spec.end !== undefined) {
    const end = asValue(sample, spec.end);
    sorted = sorted.filter((i) => dir * compare(value(i), end) <= 0);
  }
  const page = sorted.slice(0, spec.max);
  const last = page.length ? value(page[page.length - 1]) : undefined;
  const nextRange = sorted.length > spec.max ? `${spec.field} ]${String(last)}..; max=${spec.max}, order=${spec.order}` : null;
  const first = page.length ? String(value(page[0])) : '';
  return { page, nextRange, contentRange: `${spec.field} ${first}..${last === undefined ? '' : String(last)}` };
}

/** The page a list without a Range header is cut to, as Heroku's (beyond it: 206 and Next-Range). */
export const UNRANGED_MAX = LARGEST_MAX;

/** Heroku's default range for a long list asked without one: by `id` (else the items' first
 *  scalar field), ascending, 1000 a page; null when the items have no such field. */
function defaultSpec(items: unknown[]): RangeSpec | null {
  const first = items[0];
  if (first === null || typeof first !== 'object') return null;
  const scalar = (k: string): boolean => { const v = (first as Record<string, unknown>)[k]; return v === null || ['string', 'number', 'boolean'].includes(typeof v); };
  const field = 'id' in first && scalar('id') ? 'id' : Object.keys(first).find(scalar);
  return field ? { field, startExclusive: false, max: UNRANGED_MAX, order: 'asc' } : null;
}

/** On GETs: a JSON array answer becomes the page a Range header asks for (206 with Next-Range
 *  when more follow, else 200, with Content-Range either way). Without a header a list is
 *  untouched up to 1000 items; a longer one is cut as Heroku does (`id ..; max=1000`).
 *  Mount before the routers. */
export const rangePagination: RequestHandler = (req, res, next) => {
  if (req.method !== 'GET') return next();
  const header = req.get('range');
  const asked = header ? parseRange(header) : null;
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    if (res.statusCode !== 200 || !Array.isArray(body)) return json(body);
    const spec = asked ?? (body.length > UNRANGED_MAX ? defaultSpec(body) : null);
    if (!spec) return json(body);
    const { page, nextRange, contentRange } = applyRange(body as object[], spec);
    res.setHeader('Content-Range', contentRange);
    if (nextRange) { res.status(206); res.setHeader('Next-Range', nextRange); }
    return json(page);
  };
  next();
};
