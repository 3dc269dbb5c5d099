import { ApiError, del, get, post, put, type Problem } from '../../api';
import { h, show } from '../../dom';
import { choices, field, problemSummary, showProblems, submitting } from '../../forms';
import { badge } from '../../format';
import { searchCodes, searchFacilities, searchField } from '../../pickers';
import { flash, navigate, page } from '../../router';

interface Question {
  id: string;
  text: string;
  help: string;
  type: 'yes_no' | 'number' | 'choice' | 'date';
  required: boolean;
  choices?: { value: string; label: string }[];
  min?: number;
  max?: number;
  unit?: string;
  askIf?: { questionId: string; equals: string | number | boolean };
}

interface Exam {
  procedureCode?: string;
  diagnosisCodes?: string[];
  symptoms?: string;
  clinicalHistory?: string;
  answers?: Record<string, string | number | boolean>;
  requestedUnits?: number;
  servicingProviderNpi?: string;
}

interface Content {
  memberId?: string;
  orderingProviderNpi?: string;
  urgency?: 'STANDARD' | 'URGENT';
  dateOfService?: string;
  exams?: Exam[];
}

interface Review {
  ready: boolean;
  problems: Problem[];
  member?: { memberId: string; name: string; birthDate: string; healthPlan: { id: string; name: string }; state: string };
  orderingProvider?: { npi: string; name: string };
  exams: {
    index: number;
    procedure?: { code: string; description: string; program: string | null; modality: string | null; unit: string | null };
    diagnoses: { code: string; display: string; description: string }[];
    guideline?: { id: string; version: number; title: string; questions: Question[] };
    noGuideline?: string;
    servicingProvider?: { npi: string; name: string; inNetwork: boolean };
  }[];
}

interface Draft {
  draftId: string;
  status: string;
  revision: number;
  content: Content;
  review: Review;
}

page({
  path: '/requests/new',
  title: 'New request',
  roles: ['PROVIDER'],
  render: async () => {
    const d = await post<Draft>('/api/drafts', {});
    navigate(`/requests/${d.draftId}`, { replace: true });
    return [];
  },
});

/**
 * A request from first field to submission: the patient, the ordering physician, urgency and
 * date, then one or more exams, each with its codes, clinical detail and the questions of the
 * guideline that applies. Saving checks everything at once and shows each problem beside its
 * field; the review step shows what submitting will do before anything is created.
 */
page({
  path: '/requests/:draftId',
  title: 'Request',
  roles: ['PROVIDER'],
  render: async ({ params }) => {
    let draft = await get<Draft>(`/api/drafts/${params.draftId}`);
    if (draft.status !== 'OPEN') {
      return [h('h1', null, 'Request'), h('p', { class: 'notice' }, `This draft was ${draft.status.toLowerCase()}.`), h('p', null, h('a', { href: '/cases' }, 'Your requests'))];
    }
    const physicians = (await get<{ providers: { npi: string; name: string; specialty: string }[] }>('/api/providers?kind=ORDERING_PHYSICIAN&mine=true&limit=100')).providers;
    const root = h('div');
    const summary = problemSummary();
    const form: HTMLFormElement = h('form', { novalidate: true, onsubmit: (e: Event) => e.preventDefault() });
    const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'muted' });

    function examCard(exam: Exam, i: number, checked: Review['exams'][number] | undefined): HTMLElement {
      const at = (f: string) => `exams.${i}.${f}`;
      const diagnoses = h('div', { 'data-field': at('diagnosisCodes') }, h('p', { class: 'error' }));
      const dxList = h('ul', { class: 'dx-list' });
      const addDx = (code: string) => {
        const n = dxList.children.length;
        dxList.append(
          h(
            'li',
            { 'data-field': at(`diagnosisCodes.${n}`) },
            h('p', { class: 'error' }),
            h('input', { type: 'hidden', name: at(`diagnosisCodes.${n}`), value: code }),
            h('span', { class: 'mono' }, code),
            ' ',
            checked?.diagnoses.find((x) => x.display === code || x.code === code.replace('.', ''))?.description ?? '',
            ' ',
            h('button', { type: 'button', class: 'link', 'aria-label': `Remove diagnosis ${code}`, onclick: (e: Event) => ((e.currentTarget as HTMLElement).closest('li')?.remove(), renumber()) }, 'Remove'),
          ),
        );
      };
      const renumber = () => [...dxList.querySelectorAll('input')].forEach((inp, k) => (inp.name = at(`diagnosisCodes.${k}`)));
      for (const c of exam.diagnosisCodes ?? []) addDx(c);
      const dxSearch = searchField({
        label: 'Add a diagnosis (ICD-10-CM)',
        name: `dx-search-${i}`,
        hint: 'Type a code (M54.5) or words (low back pain), then choose a billable code',
        search: searchCodes('ICD10CM', '&billable=true'),
        onpick: (s) => {
          addDx(s.value);
          (dxSearch.querySelector('input') as HTMLInputElement).value = '';
        },
      });
      diagnoses.append(h('p', { class: 'label' }, h('strong', null, 'Diagnoses')), dxList, dxSearch);

      const program = checked?.procedure?.program;
      const planId = review().member?.healthPlan.id;
      const questions = checked?.guideline?.questions ?? [];
      return h(
        'fieldset',
        { class: 'card exam', 'data-exam': i },
        h('legend', null, `Exam ${i + 1}`),
        searchField({
          label: 'Procedure (CPT code)',
          name: at('procedureCode'),
          value: exam.procedureCode,
          required: true,
          hint: checked?.procedure ? `${checked.procedure.code}: ${checked.procedure.description}` : 'Type a code (72148) or words (MRI lumbar spine)',
          search: searchCodes('CPT'),
        }),
        diagnoses,
        field({ label: 'Symptoms', name: at('symptoms'), type: 'textarea', rows: 2, maxlength: 1000, value: exam.symptoms }),
        field({ label: 'Treatment and clinical history', name: at('clinicalHistory'), type: 'textarea', rows: 3, maxlength: 2000, value: exam.clinicalHistory, hint: 'Treatment tried so far, and for how long' }),
        program === 'REHAB' || exam.requestedUnits !== undefined
          ? field({ label: 'Units requested (15 minutes each)', name: at('requestedUnits'), type: 'number', min: 1, max: 200, value: exam.requestedUnits })
          : null,
        searchField({
          label: 'Servicing provider (NPI)',
          name: at('servicingProviderNpi'),
          value: exam.servicingProviderNpi,
          hint: checked?.servicingProvider ? `${checked.servicingProvider.name}${checked.servicingProvider.inNetwork ? '' : ' (out of network)'}` : 'The facility that will perform it: type its name or NPI. You may choose it after the decision.',
          search: searchFacilities(planId, checked?.procedure?.modality),
          minLength: 3,
        }),
        questions.length
          ? h(
              'div',
              { class: 'guideline', 'data-field': at('answers') },
              h('h3', null, `Guideline questions: ${checked!.guideline!.title}`),
              h('p', { class: 'error' }),
              ...questions.map((q) => question(q, at(`answers.${q.id}`), exam.answers?.[q.id])),
            )
          : checked?.noGuideline
            ? h('p', { class: 'notice' }, checked.noGuideline)
            : checked?.procedure
              ? null
              : h('p', { class: 'hint' }, "Save to see the guideline's questions for this procedure."),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => void changeExams((list) => list.splice(i, 1)) }, `Remove exam ${i + 1}`)),
      );
    }

    function question(q: Question, name: string, value: unknown): HTMLElement {
      const help = q.help + (q.unit ? ` (${q.unit})` : '');
      const wrap = (el: HTMLElement) => {
        if (q.askIf) el.setAttribute('data-ask-if', JSON.stringify(q.askIf));
        return el;
      };
      if (q.type === 'yes_no') {
        return wrap(choices({ legend: q.text, name, type: 'radio', hint: help, required: q.required, options: [{ value: 'true', label: 'Yes' }, { value: 'false', label: 'No' }], value: value === undefined ? undefined : String(value) }));
      }
      if (q.type === 'choice') {
        return wrap(choices({ legend: q.text, name, type: 'radio', hint: help, required: q.required, options: q.choices ?? [], value: value === undefined ? undefined : String(value) }));
      }
      return wrap(field({ label: q.text, name, type: q.type === 'number' ? 'number' : 'date', hint: help, required: q.required, min: q.min, max: q.max, value: value as string | number | undefined }));
    }

    /** Questions asked only when an earlier answer is given: shown or hidden as answers change. */
    function applyAskIf() {
      for (const card of form.querySelectorAll<HTMLElement>('[data-exam]')) {
        const i = card.dataset.exam!;
        for (const el of card.querySelectorAll<HTMLElement>('[data-ask-if]')) {
          const cond = JSON.parse(el.dataset.askIf!) as { questionId: string; equals: unknown };
          const answer = answerOf(card, `exams.${i}.answers.${cond.questionId}`);
          el.hidden = answer !== cond.equals;
        }
      }
    }

    function answerOf(scope: HTMLElement, name: string): string | number | boolean | undefined {
      const inputs = [...scope.querySelectorAll<HTMLInputElement>(`[name="${CSS.escape(name)}"]`)];
      if (!inputs.length || inputs[0]!.closest('[hidden]')) return undefined;
      if (inputs[0]!.type === 'radio') {
        const v = inputs.find((r) => r.checked)?.value;
        return v === undefined ? undefined : v === 'true' ? true : v === 'false' ? false : v;
      }
      const v = inputs[0]!.value.trim();
      if (!v) return undefined;
      return inputs[0]!.type === 'number' ? Number(v) : v;
    }

    let current: Content = draft.content;
    const review = () => draft.review;
    /** Adds or removes an exam: the form as it is, with the list changed, saved. */
    async function changeExams(change: (exams: Exam[]) => void) {
      const content = read();
      content.exams ??= [];
      change(content.exams);
      await save({ quiet: true, content });
      status.textContent = `The request has ${Math.max(1, current.exams?.length ?? 0)} exam(s).`;
    }

    /** The form as draft content. */
    function read(): Content {
      const val = (name: string) => (form.querySelector<HTMLInputElement>(`[name="${CSS.escape(name)}"]`)?.value ?? '').trim();
      const urgency = form.querySelector<HTMLInputElement>('input[name="urgency"]:checked')?.value as Content['urgency'];
      const exams = [...form.querySelectorAll<HTMLElement>('[data-exam]')].map((card): Exam => {
        const i = card.dataset.exam!;
        const answers: Record<string, string | number | boolean> = {};
        for (const el of card.querySelectorAll<HTMLInputElement>(`[name^="exams.${i}.answers."]`)) {
          const a = answerOf(card, el.name);
          if (a !== undefined) answers[el.name.split('.').pop()!] = a;
        }
        const units = val(`exams.${i}.requestedUnits`);
        const e: Exam = {
          procedureCode: val(`exams.${i}.procedureCode`) || undefined,
          diagnosisCodes: [...card.querySelectorAll<HTMLInputElement>(`input[type=hidden][name^="exams.${i}.diagnosisCodes."]`)].map((x) => x.value),
          symptoms: val(`exams.${i}.symptoms`) || undefined,
          clinicalHistory: val(`exams.${i}.clinicalHistory`) || undefined,
          answers,
          requestedUnits: units ? Number(units) : undefined,
          servicingProviderNpi: val(`exams.${i}.servicingProviderNpi`) || undefined,
        };
        return e;
      });
      return {
        memberId: val('memberId') || undefined,
        orderingProviderNpi: val('orderingProviderNpi') || undefined,
        urgency,
        dateOfService: val('dateOfService') || undefined,
        exams,
      };
    }

    /** Problems as the form names its fields ("exams.0.procedureCode"), whichever way the API spelt them. */
    const asForm = (problems: Problem[]) => problems.map((p) => ({ ...p, field: p.field.replace(/^body\.(content\.)?/, '') }));

    /** Saves the form (or `content`, when exams were added or removed), then shows the review's problems. */
    async function save(opts: { quiet?: boolean; content?: Content } = {}): Promise<boolean> {
      const content = opts.content ?? read();
      try {
        draft = await put<Draft>(`/api/drafts/${draft.draftId}`, { revision: draft.revision, content });
      } catch (err) {
        if (err instanceof ApiError && err.code === 'stale_revision') {
          draft = await get<Draft>(`/api/drafts/${draft.draftId}`);
        } else if (err instanceof ApiError && err.status === 400) {
          showProblems(form, asForm(err.problems));
          return false;
        } else throw err;
      }
      current = draft.content;
      edit();
      const n = showProblems(form, asForm(draft.review.problems), `${draft.review.problems.length} thing(s) to fix before submitting`);
      if (!opts.quiet) status.textContent = n ? `Saved, with ${n} thing(s) to fix.` : 'Saved: the request is complete.';
      return n === 0;
    }

    function edit() {
      const r = review();
      const c = current;
      const member = r.member;
      show(
        form,
        summary,
        h(
          'fieldset',
          null,
          h('legend', null, 'Patient and ordering physician'),
          field({ label: "Member id (from the member's card)", name: 'memberId', value: c.memberId, required: true, hint: member ? `${member.name}, born ${member.birthDate}, ${member.healthPlan.name}, ${member.state}` : undefined }),
          field({ label: 'Ordering physician', name: 'orderingProviderNpi', type: 'select', required: true, value: c.orderingProviderNpi, choices: physicians.map((p) => ({ value: p.npi, label: `${p.name}, ${p.specialty} (NPI ${p.npi})` })) }),
          choices({
            legend: 'Urgency',
            name: 'urgency',
            type: 'radio',
            required: true,
            value: c.urgency,
            options: [
              { value: 'STANDARD', label: 'Standard', hint: '(decision within 7 days)' },
              { value: 'URGENT', label: 'Urgent', hint: '(waiting could seriously harm the patient; decision within 72 hours)' },
            ],
          }),
          field({ label: 'Date of service', name: 'dateOfService', type: 'date', required: true, value: c.dateOfService }),
        ),
        h('h2', null, 'Exams'),
        h('div', { 'data-field': 'exams' }, h('p', { class: 'error' })),
        ...(c.exams?.length ? c.exams : [{}]).map((e, i) => examCard(e, i, r.exams.find((x) => x.index === i))),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: () => void changeExams((list) => list.push({})) }, 'Add another exam'),
        ),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'submit', onclick: (e: Event) => void submitting(form, e.currentTarget as HTMLButtonElement, async () => void (await save())) }, 'Save'),
          h(
            'button',
            {
              type: 'button',
              class: 'primary',
              onclick: (e: Event) =>
                void submitting(form, e.currentTarget as HTMLButtonElement, async () => {
                  if (await save({ quiet: true })) await reviewStep();
                  else status.textContent = 'Fix the things listed above, then review again.';
                }),
            },
            'Review and submit',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: async () => {
                if (!confirm('Discard this draft? It cannot be undone.')) return;
                await del(`/api/drafts/${draft.draftId}`);
                flash('The draft was discarded.');
                navigate('/cases');
              },
            },
            'Discard draft',
          ),
        ),
        status,
      );
      form.addEventListener('change', applyAskIf);
      applyAskIf();
      show(root, form);
    }

    async function reviewStep() {
      const preview = await post<{ exams: { index: number; procedureCode: string; outcome: string; whatHappens: string; reasons: string[] }[] }>(`/api/drafts/${draft.draftId}/preview`);
      const r = review();
      const box = h('div');
      const sendForm: HTMLFormElement = h('form', { novalidate: true, onsubmit: (e: Event) => e.preventDefault() }, problemSummary());
      show(
        box,
        h('h2', { tabindex: '-1' }, 'Review your request'),
        h('p', null, 'Check the request. Nothing is sent until you submit it.'),
        h(
          'dl',
          { class: 'summary' },
          h('dt', null, 'Member'),
          h('dd', null, `${r.member?.name} (${r.member?.memberId}), ${r.member?.healthPlan.name}`),
          h('dt', null, 'Ordering physician'),
          h('dd', null, r.orderingProvider?.name ?? ''),
          h('dt', null, 'Urgency'),
          h('dd', null, current.urgency === 'URGENT' ? 'Urgent' : 'Standard'),
          h('dt', null, 'Date of service'),
          h('dd', null, current.dateOfService ?? ''),
        ),
        ...r.exams.map((x) => {
          const p = preview.exams.find((e) => e.index === x.index);
          return h(
            'div',
            { class: 'card' },
            h('h3', null, `Exam ${x.index + 1}: ${x.procedure?.code} ${x.procedure?.description ?? ''}`),
            h('p', null, 'Diagnoses: ', x.diagnoses.map((d) => `${d.display} ${d.description}`).join('; ')),
            x.servicingProvider ? h('p', null, `Servicing provider: ${x.servicingProvider.name}`) : h('p', null, 'Servicing provider: to be chosen after the decision'),
            p ? h('p', null, badge(p.outcome === 'MET' ? 'Meets the guideline' : 'Goes to clinical review', p.outcome === 'MET' ? 'ok' : 'wait'), ' ', p.whatHappens) : null,
            p && p.outcome !== 'MET' ? h('ul', null, ...p.reasons.map((reason) => h('li', null, reason))) : null,
          );
        }),
        sendForm,
      );
      sendForm.append(
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: () => (edit(), form.querySelector<HTMLElement>('input')?.focus()) }, 'Edit the request'),
          h(
            'button',
            {
              type: 'submit',
              class: 'primary',
              onclick: (e: Event) =>
                void submitting(sendForm, e.currentTarget as HTMLButtonElement, async () => {
                  const c = await post<{ caseNumber: string; duplicateOf?: { caseNumber: string; orderNumber: string } }>(`/api/drafts/${draft.draftId}/submit`);
                  if (c.duplicateOf) {
                    flash(`This member already has an active order for ${'this procedure'}: order ${c.duplicateOf.orderNumber} on case ${c.duplicateOf.caseNumber}.`);
                    navigate(`/cases/${c.duplicateOf.caseNumber}`);
                  } else {
                    flash(`Request submitted: case ${c.caseNumber}.`);
                    navigate(`/cases/${c.caseNumber}`);
                  }
                }),
            },
            'Submit request',
          ),
        ),
      );
      show(root, box);
      box.querySelector<HTMLElement>('h2')?.focus();
    }

    edit();
    if (draft.review.problems.length && (current.memberId || current.exams?.length)) showProblems(form, asForm(draft.review.problems), `${draft.review.problems.length} thing(s) to fix before submitting`);
    return [h('h1', null, 'Request'), h('p', null, 'Enter the request; save at any time and come back to it from your requests page. Every field is required unless it says optional.'), root];
  },
});
