// What a tenant's Dockerfile may use. The daemon builds with its own powers: an image named in
// FROM or COPY --from is read from the engine (or pulled) whoever owns it, and ADD <url> is
// fetched by the daemon from the host's network. So before a build, the Dockerfile is parsed
// as the classic builder does (escape directive, line continuations, comments, global ARGs
// substituted in FROM, stage names) and refused unless:
//   - every FROM names a stack image, an image the operator allows, the app's own repository
//     (`<registry>/<app>:<tag>`), `scratch`, or an earlier stage;
//   - every COPY --from names an earlier stage (by name or index) or an image allowed in FROM;
//   - no ADD source is a URL, or holds a variable (its value could come from a base image).
// ONBUILD bodies are checked the same way. The build then uses exactly the text checked here.
import { UserBuildError } from '../common/errors.ts';

export interface DockerfilePolicy {
  /** Images any app may build FROM (the stack images, PAAS_DOCKERFILE_IMAGES). */
  images: string[];
  /** The app's own repository, e.g. 127.0.0.1:5000/hello: any tag of it is allowed. */
  ownRepo: string;
}

interface Instruction { keyword: string; args: string; line: number }

/** Splits a Dockerfile into instructions as the classic builder's parser does: directives at
 *  the top (`# escape=` changes the escape character), a line ending in the escape character
 *  (and blanks) continues on the next, whose leading blanks are kept; comment and empty lines
 *  inside a continued instruction are dropped. */
export function parseInstructions(text: string): { escape: string; instructions: Instruction[] } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let escape = '\\';
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(lines[i]);
    if (!m) break;
    if (m[1].toLowerCase() === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new UserBuildError(`Dockerfile line ${i + 1}: invalid escape character ${JSON.stringify(m[2])}.`);
      escape = m[2];
    }
  }
  const continuation = new RegExp(`${escape === '`' ? '`' : '\\\\'}[ \\t]*$`);
  const instructions: Instruction[] = [];
  let current: { text: string; line: number } | null = null;
  const finish = (c: { text: string; line: number }): void => {
    const m = /^\s*(\S+)\s*([\s\S]*?)\s*$/.exec(c.text);
    if (m) instructions.push({ keyword: m[1].toUpperCase(), args: m[2], line: c.line });
  };
  for (; i < lines.length; i++) {
    const left = lines[i].replace(/^[ \t]+/, '');
    if (left === '' || left.startsWith('#')) continue;
    current ??= { text: '', line: i + 1 };
    const body = current.text === '' ? left : lines[i];
    if (continuation.test(body)) {
      current.text += body.replace(continuation, '');
      continue;
    }
    current.text += body;
    finish(current);
    current = null;
  }
  if (current) finish(current);
  return { escape, instructions };
}

/** Words of an instruction's arguments: quotes removed, escapes resolved, variables substituted
 *  from `vars` (an unknown one becomes ""); `unresolved` tells whether a variable was used. */
function words(args: string, escape: string, vars: Map<string, string>): Array<{ value: string; usedVariable: boolean }> {
  const result: Array<{ value: string; usedVariable: boolean }> = [];
  let value = '';
  let used = false;
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < args.length; i++) {
    const ch = args[i];
    if (quote === null && /\s/.test(ch)) {
      if (inWord) result.push({ value, usedVariable: used });
      value = ''; used = false; inWord = false;
      continue;
    }
    inWord = true;
    if (ch === escape && quote !== "'" && i + 1 < args.length) {
      value += args[++i];
    } else if ((ch === '"' || ch === "'") && (quote === null || quote === ch)) {
      quote = quote === null ? ch : null;
    } else if (ch === '$' && quote !== "'") {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(args.slice(i));
      if (!m) { value += ch; continue; }
      used = true;
      const name = m[1] ?? m[4];
      const set = vars.get(name) ?? '';
      value += m[2] === ':-' ? (set !== '' ? set : m[3]) : m[2] === ':+' ? (set !== '' ? m[3] : '') : set;
      i += m[0].length - 1;
    } else {
      value += ch;
    }
  }
  if (inWord) result.push({ value, usedVariable: used });
  return result;
}

/** `docker.io/library/x` -> `x:latest`; null for a reference pinned by digest. */
export function normalizeImage(ref: string): string | null {
  if (ref.includes('@')) return null;
  let name = ref.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
  const slash = name.lastIndexOf('/');
  if (!name.slice(slash + 1).includes(':')) name += ':latest';
  return name;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function imageAllowed(ref: string, policy: DockerfilePolicy): boolean {
  const normal = normalizeImage(ref);
  if (normal === null) return false;
  if (policy.images.some((img) => normalizeImage(img) === normal)) return true;
  const own = `${policy.ownRepo}:`;
  return normal.startsWith(own) && TAG.test(normal.slice(own.length));
}

const fail = (line: number, message: string): never => {
  throw new UserBuildError(`Dockerfile line ${line}: ${message}`);
};

/** Throws UserBuildError when the Dockerfile uses anything the policy does not allow; returns
 *  the images it names in FROM and COPY --from (not stages, not scratch), as written. */
export function checkDockerfile(text: string, policy: DockerfilePolicy): { images: string[] } {
  const { escape, instructions } = parseInstructions(text);
  const used = new Set<string>();
  const allowed = (ref: string): boolean => {
    const ok = imageAllowed(ref, policy);
    if (ok) used.add(ref);
    return ok;
  };
  const globalArgs = new Map<string, string>();
  const stages: string[] = [];
  let stageVars: Map<string, string> | null = null;
  const allowedImages = 'only the stack images, images the operator allows and this app\'s own images can be used';

  const checkCopyFrom = (ins: Instruction, vars: Map<string, string>): void => {
    for (const w of words(ins.args, escape, vars)) {
      const m = /^--from=(.*)$/i.exec(w.value);
      if (!m) continue;
      const from = m[1];
      if (w.usedVariable) fail(ins.line, 'COPY --from with a variable is not allowed.');
      if (stages.includes(from.toLowerCase())) continue;
      if (/^\d+$/.test(from) && Number(from) < stages.length) continue;
      if (!allowed(from)) fail(ins.line, `COPY --from=${from} is not allowed: ${allowedImages}.`);
    }
  };
  const checkAdd = (ins: Instruction, vars: Map<string, string>): void => {
    const trimmed = ins.args.trim();
    let sources: Array<{ value: string; usedVariable: boolean }>;
    if (trimmed.startsWith('[')) {
      let list: unknown;
      try { list = JSON.parse(trimmed); } catch { list = null; }
      sources = Array.isArray(list) ? list.slice(0, -1).map((v) => ({ value: String(v), usedVariable: String(v).includes('$') })) : words(ins.args, escape, vars);
    } else {
      sources = words(ins.args, escape, vars).filter((w) => !w.value.startsWith('--')).slice(0, -1);
    }
    for (const s of sources) {
      if (s.usedVariable || /\$/.test(s.value)) fail(ins.line, 'ADD with a variable in its sources is not allowed: name the files.');
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s.value) || /^git@/i.test(s.value)) {
        fail(ins.line, `ADD of a URL (${s.value}) is not allowed: builds do not fetch from the network this way; download in a RUN step.`);
      }
    }
  };
  const checkBody = (ins: Instruction, vars: Map<string, string>): void => {
    if (ins.keyword === 'COPY') checkCopyFrom(ins, vars);
    else if (ins.keyword === 'ADD') checkAdd(ins, vars);
  };

  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const ws = words(ins.args, escape, globalArgs).filter((w) => !/^--platform=/i.test(w.value));
      const image = ws[0]?.value ?? '';
      if (image === '') fail(ins.line, 'FROM needs an image.');
      if (ws.length === 3 && ws[1].value.toLowerCase() === 'as') {
        stageVars = new Map();
        if (!(image.toLowerCase() === 'scratch' || stages.includes(image.toLowerCase()) || allowed(image))) {
          fail(ins.line, `FROM ${image} is not allowed: ${allowedImages}.`);
        }
        stages.push(ws[2].value.toLowerCase());
        continue;
      }
      if (ws.length !== 1) fail(ins.line, 'FROM takes an image and optionally AS <name>.');
      if (!(image.toLowerCase() === 'scratch' || stages.includes(image.toLowerCase()) || allowed(image))) {
        fail(ins.line, `FROM ${image} is not allowed: ${allowedImages}.`);
      }
      stages.push(`#${stages.length}`); // unnamed stage: reachable by index only
      stageVars = new Map();
      continue;
    }
    if (ins.keyword === 'ARG' && stageVars === null) {
      for (const w of words(ins.args, escape, globalArgs)) {
        const eq = w.value.indexOf('=');
        if (eq < 0) globalArgs.set(w.value, globalArgs.get(w.value) ?? '');
        else globalArgs.set(w.value.slice(0, eq), w.value.slice(eq + 1));
      }
      continue;
    }
    if (stageVars === null) fail(ins.line, `${ins.keyword} before the first FROM.`);
    const vars = stageVars as Map<string, string>;
    if (ins.keyword === 'ARG' || ins.keyword === 'ENV') {
      for (const w of words(ins.args, escape, vars)) {
        const eq = w.value.indexOf('=');
        if (eq > 0) vars.set(w.value.slice(0, eq), w.value.slice(eq + 1));
      }
    } else if (ins.keyword === 'ONBUILD') {
      const inner = parseInstructions(ins.args).instructions[0];
      if (inner) checkBody({ ...inner, line: ins.line }, vars);
    } else {
      checkBody(ins, vars);
    }
  }
  if (stages.length === 0) throw new UserBuildError('Dockerfile has no FROM instruction.');
  return { images: [...used] };
}
