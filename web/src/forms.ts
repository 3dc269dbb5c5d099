import type { Problem } from './api';
import { ApiError } from './api';
import { h, show, uid, type Child } from './dom';

/**
 * Form fields that a screen reader and a keyboard can use: every input has a label (optional ones
 * say "(optional)"; the rest are required, and carry the required attribute), its hint and
 * its error are tied to it (aria-describedby), and a form's problems are listed at the top, each
 * a link to its field, as well as beside the field itself.
 */
export interface FieldOptions {
  label: string;
  name: string;
  type?: string;
  value?: string | number | null;
  required?: boolean;
  hint?: string;
  autocomplete?: string;
  inputmode?: string;
  maxlength?: number;
  rows?: number;
  min?: string | number;
  max?: string | number;
  step?: string | number;
  choices?: { value: string; label: string }[];
  placeholder?: string;
  oninput?: (e: Event) => void;
  onchange?: (e: Event) => void;
  list?: string;
  /** A select's empty choice: "Choose..." unless given ("All my plans" for a filter); false for none. */
  empty?: string | false;
}

/** A labelled input, textarea or select with places for its hint and its error. */
export function field(o: FieldOptions): HTMLDivElement {
  const id = uid(o.name.replace(/\W/g, '-'));
  const hintId = o.hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const described = [hintId, errorId].filter(Boolean).join(' ');
  const common = { id, name: o.name, required: o.required, 'aria-describedby': described, autocomplete: o.autocomplete, oninput: o.oninput, onchange: o.onchange };
  let control: HTMLElement;
  if (o.type === 'textarea') {
    const t = h('textarea', { ...common, rows: o.rows ?? 4, maxlength: o.maxlength, placeholder: o.placeholder });
    t.value = o.value == null ? '' : String(o.value);
    control = t;
  } else if (o.type === 'select') {
    const s = h('select', common, o.empty === false ? null : h('option', { value: '' }, o.empty ?? 'Choose...'), ...(o.choices ?? []).map((c) => h('option', { value: c.value }, c.label)));
    s.value = o.value == null ? '' : String(o.value);
    control = s;
  } else {
    const i = h('input', { ...common, type: o.type ?? 'text', inputmode: o.inputmode, maxlength: o.maxlength, min: o.min, max: o.max, step: o.step, placeholder: o.placeholder, list: o.list });
    i.value = o.value == null ? '' : String(o.value);
    control = i;
  }
  return h(
    'div',
    { class: 'field', 'data-field': o.name },
    h('label', { for: id }, o.label),
    o.hint ? h('p', { class: 'hint', id: hintId }, o.hint) : null,
    h('p', { class: 'error', id: errorId }),
    control,
  );
}

/** A group of radio buttons or checkboxes in a fieldset with its legend. */
export function choices(o: { legend: string; name: string; type: 'radio' | 'checkbox'; options: { value: string; label: string; hint?: string }[]; value?: string | string[]; hint?: string; required?: boolean }): HTMLFieldSetElement {
  const selected = new Set(Array.isArray(o.value) ? o.value : o.value !== undefined ? [o.value] : []);
  const errorId = uid('err');
  return h(
    'fieldset',
    { class: 'choices', 'data-field': o.name, 'aria-describedby': errorId },
    h('legend', null, o.legend),
    o.hint ? h('p', { class: 'hint' }, o.hint) : null,
    h('p', { class: 'error', id: errorId }),
    ...o.options.map((opt) => {
      const id = uid(o.name.replace(/\W/g, '-'));
      return h(
        'div',
        { class: 'choice' },
        h('input', { type: o.type, id, name: o.name, value: opt.value, checked: selected.has(opt.value) }),
        h('label', { for: id }, opt.label, opt.hint ? h('span', { class: 'hint' }, ` ${opt.hint}`) : null),
      );
    }),
  );
}

/** The form's problem summary: a live region at the top of the form. */
export function problemSummary(): HTMLDivElement {
  return h('div', { class: 'problem-summary', role: 'alert', tabindex: '-1', hidden: true });
}

/** API problem fields ("body.user.email") as form names ("user.email"). */
const nameOf = (field: string) => field.replace(/^(body|query|path)\./, '');

/**
 * Shows `problems` beside their fields (or the nearest group that holds them) and in the
 * summary, and moves focus to the summary. Clears the previous ones. Answers how many there were.
 */
export function showProblems(form: HTMLElement, problems: Problem[], summaryTitle = 'There is a problem'): number {
  for (const el of form.querySelectorAll('.field.has-error, .choices.has-error, [data-field].has-error')) el.classList.remove('has-error');
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const summary = form.querySelector<HTMLElement>('.problem-summary');
  if (!problems.length) {
    if (summary) {
      summary.hidden = true;
      show(summary);
    }
    return 0;
  }
  const items: Child[] = [];
  for (const p of problems) {
    const place = placeOf(form, nameOf(p.field));
    if (place) {
      place.classList.add('has-error');
      const error = place.querySelector<HTMLElement>(':scope > .error');
      if (error) error.textContent = error.textContent ? `${error.textContent} ${p.message}` : p.message;
      const control = place.querySelector<HTMLElement>('input, select, textarea');
      control?.setAttribute('aria-invalid', 'true');
      items.push(h('li', null, h('a', { href: `#${control?.id ?? ''}`, onclick: (e: Event) => (e.preventDefault(), control?.focus()) }, p.message)));
    } else {
      items.push(h('li', null, p.message));
    }
  }
  if (summary) {
    show(summary, h('h2', null, summaryTitle), h('ul', null, ...items));
    summary.hidden = false;
    summary.focus();
  }
  return problems.length;
}

function placeOf(form: HTMLElement, name: string): HTMLElement | null {
  for (let n = name; n; n = n.includes('.') ? n.slice(0, n.lastIndexOf('.')) : '') {
    const el = form.querySelector<HTMLElement>(`[data-field="${CSS.escape(n)}"]`);
    if (el) return el;
  }
  return null;
}

/**
 * The form's named controls as a nested object: "user.address.city" becomes
 * { user: { address: { city } } }, "tins.0" an array item; checkbox groups give arrays.
 */
export function values(form: HTMLElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const groups = new Set<string>();
  // A checkbox of a choices() group, or one of several with a name, gives a list (even of one).
  for (const el of form.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
    if (el.closest('fieldset.choices') || form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(el.name)}"]`).length > 1) groups.add(el.name);
  }
  for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input[name], select[name], textarea[name]')) {
    if (el.disabled || el.closest('[hidden]')) continue;
    let value: unknown;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') {
      if (groups.has(el.name)) {
        const list = (read(out, el.name) as string[] | undefined) ?? [];
        if (el.checked) list.push(el.value);
        write(out, el.name, list);
        continue;
      }
      value = el.checked;
    } else if (el instanceof HTMLInputElement && el.type === 'radio') {
      if (!el.checked) continue;
      value = el.value;
    } else if (el instanceof HTMLInputElement && el.type === 'number') {
      value = el.value === '' ? undefined : Number(el.value);
    } else {
      value = el.value;
    }
    write(out, el.name, value);
  }
  return out;
}

function read(obj: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function write(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o: Record<string, unknown> | unknown[] = obj;
  keys.forEach((k, i) => {
    const last = i === keys.length - 1;
    const nextIsIndex = !last && /^\d+$/.test(keys[i + 1]!);
    const container = o as Record<string, unknown>;
    if (last) container[k] = value;
    else {
      container[k] ??= nextIsIndex ? [] : {};
      o = container[k] as Record<string, unknown>;
    }
  });
}

/**
 * Runs `action` for a form's submit button: the button is busy meanwhile, problems the API
 * lists go beside their fields, and any other refusal is shown in the summary.
 */
export async function submitting(form: HTMLElement, button: HTMLButtonElement | null, action: () => Promise<void>): Promise<void> {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    await action();
    if (form.isConnected) showProblems(form, []);
  } catch (err) {
    if (err instanceof ApiError) showProblems(form, err.problems.length ? err.problems : [{ field: '', message: err.message }]);
    else throw err;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}
