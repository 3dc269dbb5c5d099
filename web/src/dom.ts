/**
 * A few lines instead of a framework: elements are built with `h`, text is always a text node
 * (never parsed as HTML), and event handlers are attached as `on<event>` attributes.
 */
export type Child = Node | string | number | false | null | undefined | Child[];
type AttrValue = string | number | boolean | null | undefined | ((e: Event) => void);
export type Attrs = Record<string, AttrValue>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  el.append(...nodes(children));
  return el;
}

export function nodes(children: Child[]): Node[] {
  return children.flat(Infinity as 1).flatMap((c) => (c === false || c === null || c === undefined ? [] : [typeof c === 'object' ? (c as Node) : document.createTextNode(String(c))]));
}

/** Replaces what `el` shows. */
export function show(el: Element, ...children: Child[]): void {
  el.replaceChildren(...nodes(children));
}

let ids = 0;
/** A unique element id (labels and descriptions point at ids). */
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;
