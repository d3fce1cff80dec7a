// In-page navigation: links change the path without reloading (the server answers every
// /dashboard/* path with the same shell, so a reload or a shared link lands on the same page).
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';

export function navigate(path: string): void {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function Link({ href, children, testId }: { href: string; children: ComponentChildren; testId?: string }) {
  const go = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${go} data-testid=${testId}>${children}</a>`;
}
