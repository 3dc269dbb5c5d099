import { ApiError, whenSignedOut } from './api';
import { h, show, type Child } from './dom';
import { forget, HOME, me, signOut, wasSignedIn, type AccessRole, type Me } from './session';

/**
 * Pages by path. Each page declares who may see it (the API checks again, of course); a page
 * renders into the layout's <main>, after which focus moves to its heading so that a screen
 * reader announces the new page, as a full page load would.
 */
export interface PageContext {
  params: Record<string, string>;
  query: URLSearchParams;
  user: Me | null;
}

export interface Page {
  path: string;
  title: string;
  /** 'public': anyone; otherwise the roles that may see it. */
  roles: 'public' | AccessRole[];
  render: (ctx: PageContext) => Promise<Child> | Child;
}

const pages: Page[] = [];
export const page = (p: Page) => void pages.push(p);

function match(path: string): { page: Page; params: Record<string, string> } | undefined {
  for (const p of pages) {
    const names: string[] = [];
    const re = new RegExp(`^${p.path.replace(/:(\w+)/g, (_, n: string) => (names.push(n), '([^/]+)'))}/?$`);
    const m = re.exec(path);
    if (m) return { page: p, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
  }
  return undefined;
}

let flashMessage: string | undefined;
/** A message shown (and announced) on the next page, e.g. "Saved". */
export const flash = (message: string) => {
  flashMessage = message;
};

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  void render();
}

const NAV: Record<AccessRole, [string, string][]> = {
  PROVIDER: [['/cases', 'Requests'], ['/requests/new', 'New request'], ['/profile', 'Profile']],
  NURSE: [['/review', 'Work queues']],
  PHYSICIAN: [['/review', 'Work queues']],
  SUPERVISOR: [['/review', 'Work queues']],
  SUPPORT: [['/support', 'Stuck work'], ['/support/workflows', 'Find'], ['/support/registrations', 'Registrations']],
  ADMIN: [['/admin/users', 'Accounts']],
};

function layout(user: Me | null, current: string, content: Child[]): Node[] {
  // The menu entry of the current page: the longest one whose path the page's path starts with.
  const here = user
    ? NAV[user.accessRole]
        .map(([href]) => href)
        .filter((href) => current === href || current.startsWith(`${href}/`))
        .sort((a, b) => b.length - a.length)[0]
    : undefined;
  const nav = user
    ? h('nav', { 'aria-label': 'Main' }, h('ul', null, ...NAV[user.accessRole].map(([href, label]) => h('li', null, h('a', { href, 'aria-current': href === here ? 'page' : undefined }, label)))))
    : null;
  const account = user
    ? h(
        'div',
        { class: 'account' },
        h('span', null, `${user.name} (${user.accessRoleLabel})`),
        h('button', { type: 'button', class: 'link', onclick: async () => (await signOut(), flash('You are signed out.'), navigate('/sign-in')) }, 'Sign out'),
      )
    : null;
  return [
    h('a', { class: 'skip-link', href: '#main', onclick: (e: Event) => (e.preventDefault(), document.getElementById('main')?.focus()) }, 'Skip to main content'),
    h('header', { class: 'site-header' }, h('div', { class: 'wrap' }, h('a', { class: 'brand', href: user ? HOME[user.accessRole] : '/sign-in' }, 'Prior Authorization Portal'), nav, account)),
    h('div', { class: 'wrap flash', role: 'status', 'aria-live': 'polite' }, flashMessage ? h('p', { class: 'notice' }, flashMessage) : null),
    h('main', { id: 'main', class: 'wrap', tabindex: '-1' }, ...content),
    h('footer', { class: 'site-footer' }, h('div', { class: 'wrap' }, 'Questions? Web Customer Service: 1-800-555-0100, weekdays 8 am to 8 pm.')),
  ];
}

const root = () => document.getElementById('app')!;

export async function render(): Promise<void> {
  const path = location.pathname;
  const found = match(path);
  let user: Me | null = null;
  try {
    user = await me();
  } catch {
    user = null;
  }
  if (!found) {
    show(root(), ...layout(user, path, [h('h1', { tabindex: '-1' }, 'Page not found'), h('p', null, 'There is no page at this address. ', h('a', { href: user ? HOME[user.accessRole] : '/sign-in' }, 'Go to the start page'), '.')]));
    return focusHeading('Page not found');
  }
  const { page: p, params } = found;
  if (p.roles !== 'public' && !user) {
    return navigate(`/sign-in?next=${encodeURIComponent(path + location.search)}`, { replace: true });
  }
  if (p.roles !== 'public' && user && !p.roles.includes(user.accessRole)) {
    show(root(), ...layout(user, path, [h('h1', { tabindex: '-1' }, 'Not available to you'), h('p', null, `This page is for other roles than yours (${user.accessRoleLabel}). `, h('a', { href: HOME[user.accessRole] }, 'Go to your start page'), '.')]));
    return focusHeading('Not available to you');
  }
  show(root(), ...layout(user, path, [h('p', { class: 'loading' }, 'Loading...')]));
  let content: Child;
  try {
    content = await p.render({ params, query: new URLSearchParams(location.search), user });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    content = [h('h1', { tabindex: '-1' }, p.title), h('div', { class: 'problem-summary', role: 'alert' }, h('p', null, err instanceof ApiError ? err.message : 'Something went wrong showing this page: reload it, or call Web Customer Service.'))];
  }
  if (location.pathname !== path) return; // navigated away meanwhile
  show(root(), ...layout(user, path, [content]));
  flashMessage = undefined;
  focusHeading(p.title);
}

function focusHeading(title: string): void {
  document.title = `${title} - Prior Authorization Portal`;
  const h1 = document.querySelector<HTMLElement>('main h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: false });
  }
}

/** Same-page navigation for links and the back button; the API says when a session has ended. */
export function start(): void {
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.hash && url.pathname === location.pathname) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => void render());
  whenSignedOut((message) => {
    // A visitor's 401 (asking who is signed in) is no news; a signed-in person's session ended.
    if (!wasSignedIn() || location.pathname.startsWith('/sign-in')) return;
    forget();
    flash(message);
    navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  });
  void render();
}
