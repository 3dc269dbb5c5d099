/**
 * Pages for people who follow an emailed link (they work without JavaScript), in the portal's
 * look (its stylesheet, /assets/app.css) and with a way into the portal.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete page: `title` is escaped here, `bodyHtml` must already be safe. */
export function page(title: string, bodyHtml: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)} - Prior Authorization Portal</title><link rel="stylesheet" href="/assets/app.css"></head><body>` +
    `<header class="site-header"><div class="wrap"><a class="brand" href="/sign-in">Prior Authorization Portal</a></div></header>` +
    `<main id="main" class="wrap narrow"><h1>${escapeHtml(title)}</h1>${bodyHtml}<p><a href="/sign-in">Go to the portal's sign-in page</a></p></main></body></html>`
  );
}
