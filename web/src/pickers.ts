import { get } from './api';
import { h, show, uid } from './dom';
import { field } from './forms';

/**
 * Search as you type: a labelled input, and below it the matches as buttons (reachable with Tab,
 * announced by a live region). Choosing one fills the input. The same field works typed by hand.
 */
export interface Suggestion {
  value: string;
  label: string;
}

export function searchField(o: {
  label: string;
  name: string;
  value?: string;
  hint?: string;
  required?: boolean;
  search: (q: string) => Promise<Suggestion[]>;
  onpick?: (s: Suggestion) => void;
  /** Input stays as typed (codes); false: the picked label is shown beside it. */
  minLength?: number;
}): HTMLDivElement {
  const f = field({ label: o.label, name: o.name, value: o.value, hint: o.hint, required: o.required, autocomplete: 'off' });
  const input = f.querySelector('input')!;
  const listId = uid('suggestions');
  const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'suggestions', id: listId, hidden: true, 'aria-label': `Matches for ${o.label}` });
  input.setAttribute('aria-controls', listId);
  let seq = 0;
  let timer: number | undefined;
  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      const q = input.value.trim();
      const mine = ++seq;
      if (q.length < (o.minLength ?? 2)) {
        list.hidden = true;
        status.textContent = '';
        return;
      }
      let found: Suggestion[] = [];
      try {
        found = await o.search(q);
      } catch {
        found = [];
      }
      if (mine !== seq) return; // a later keystroke's answer wins
      show(
        list,
        ...found.map((s) =>
          h(
            'li',
            null,
            h(
              'button',
              {
                type: 'button',
                onclick: () => {
                  input.value = s.value;
                  list.hidden = true;
                  status.textContent = `Chosen: ${s.label}`;
                  input.focus();
                  o.onpick?.(s);
                },
              },
              s.label,
            ),
          ),
        ),
      );
      list.hidden = !found.length;
      status.textContent = found.length ? `${found.length} match(es): press Tab to choose one` : 'No match: check the spelling or the code';
    }, 150);
  });
  f.append(status, list);
  return f;
}

interface CodeRow {
  code: string;
  display: string;
  description: string;
}

export const searchCodes = (system: 'CPT' | 'ICD10CM' | 'HCPCS', extra = '') => async (q: string): Promise<Suggestion[]> => {
  const { codes } = await get<{ codes: CodeRow[] }>(`/api/codes?q=${encodeURIComponent(q)}&system=${system}&limit=8${extra}`);
  return codes.map((c) => ({ value: c.display, label: `${c.display}  ${c.description}` }));
};

interface ProviderRow {
  npi: string;
  name: string;
  address: { line1: string; city: string; state: string };
  services: string[];
  networks: { planId: string; inNetwork: boolean }[];
}

/** Servicing facilities by name or NPI, in network for the plan when it is known. */
export const searchFacilities = (planId?: string, service?: string | null) => async (q: string): Promise<Suggestion[]> => {
  const params = new URLSearchParams({ kind: 'SERVICING_FACILITY', q, limit: '8' });
  if (planId) params.set('planId', planId);
  if (service) params.set('service', service);
  const { providers } = await get<{ providers: ProviderRow[] }>(`/api/providers?${params}`);
  return providers.map((p) => {
    const inNetwork = planId ? p.networks.some((n) => n.planId === planId && n.inNetwork) : true;
    return { value: p.npi, label: `${p.name}, ${p.address.line1}, ${p.address.city} ${p.address.state} (NPI ${p.npi})${inNetwork ? '' : ' - out of network'}` };
  });
};
