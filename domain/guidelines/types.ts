import { z } from 'zod';

/**
 * A clinical guideline is data: the questions an office answers for one procedure group and the
 * rules that decide, in json-rules-engine's condition format. One JSON document per version
 * (prisma/data/guidelines/<id>.v<version>.json); `parseGuideline` is the only way in, so the
 * evaluator can trust what it gets.
 *
 * Precedence (why a result can be explained in one sentence): every rule has a priority, as in
 * json-rules-engine; rules of one priority form a tier and must share an outcome. The highest tier
 * in which any rule holds decides, and every rule of that tier that holds is reported. When no rule
 * holds, `otherwise` decides. Files list rules from the highest priority down, so they read in the
 * order they are applied.
 */

// ---- Fixed lists ----------------------------------------------------------------------------

export const PROGRAMS = ['IMAGING', 'REHAB'] as const;
export type ClinicalProgram = (typeof PROGRAMS)[number];

export const OUTCOMES = ['MET', 'NOT_MET', 'NEEDS_REVIEW'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const QUESTION_TYPES = ['yes_no', 'number', 'choice', 'date'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** Procedure groups and their program; the CPT-to-group mapping is in prisma/data/procedures.tsv. */
export const PROCEDURE_GROUPS = {
  LUMBAR_SPINE_MRI: 'IMAGING',
  BRAIN_MRI: 'IMAGING',
  KNEE_MRI: 'IMAGING',
  CHEST_CT: 'IMAGING',
  ABDOMEN_PELVIS_CT: 'IMAGING',
  MYOCARDIAL_PERFUSION: 'IMAGING',
  PT_INITIAL: 'REHAB',
  PT_CONTINUED: 'REHAB',
  OT_INITIAL: 'REHAB',
  OT_CONTINUED: 'REHAB',
  SPEECH_INITIAL: 'REHAB',
  SPEECH_CONTINUED: 'REHAB',
} as const satisfies Record<string, ClinicalProgram>;
export type ProcedureGroup = keyof typeof PROCEDURE_GROUPS;

/** Recorded instead of a rule id when no rule decided. Rule ids may not take this name. */
export const OTHERWISE_RULE_ID = 'otherwise';

/**
 * Facts every evaluation has besides the answers (question ids may not take these names).
 * `daysBeforeService` is computed: days from the date answer named by `params.question` to the
 * date of service. `maxUnits` is the guideline's own unit limit (rehab only).
 */
export const BUILTIN_FACTS = {
  diagnosisCodes: 'codes',
  memberAgeYears: 'number',
  requestedUnits: 'number',
  maxUnits: 'number',
  daysBeforeService: 'number',
  urgency: 'urgency',
  dateOfService: 'date',
} as const;
export type BuiltinFact = keyof typeof BUILTIN_FACTS;
export const URGENCIES = ['STANDARD', 'URGENT'] as const;

/**
 * The json-rules-engine operators a guideline may use, plus `diagnosisIn` (ours). `notEqual`,
 * `notIn` and `not` are left out on purpose: they hold for an unanswered question, so a
 * follow-up question that was never asked would make them fire. Conditions are written
 * positively instead ("equal false").
 */
export const OPERATORS = [
  'equal',
  'in',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'diagnosisIn',
] as const;
export type ConditionOperator = (typeof OPERATORS)[number];

// ---- The document ---------------------------------------------------------------------------
// Types come from the zod schema below, except the recursive condition, which zod cannot infer.

export type ConditionValue = boolean | number | string | string[] | { fact: string };

/**
 * A json-rules-engine condition: exactly one of `all`, `any` or `fact` (checked by parseGuideline;
 * one loose shape keeps zod's messages precise, where a union would only say "invalid input").
 */
export interface GuidelineCondition {
  all?: GuidelineCondition[];
  any?: GuidelineCondition[];
  fact?: string;
  operator?: ConditionOperator;
  value?: ConditionValue;
  params?: { question: string };
}

// ---- Dates ----------------------------------------------------------------------------------

/** A real calendar date written YYYY-MM-DD (so 2026-02-30 is refused). */
export function isCalendarDate(s: unknown): s is string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Whole days from `from` to `to` (both YYYY-MM-DD); negative when `from` is later. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

// ---- Schema (structure) ---------------------------------------------------------------------

const isoDate = z.string().refine(isCalendarDate, 'must be a real date written YYYY-MM-DD');
const text = z.string().trim().min(1, 'must not be empty');
const outcome = z.enum(OUTCOMES);

const conditionSchema: z.ZodType<GuidelineCondition> = z.lazy(() =>
  z
    .strictObject({
      all: z.array(conditionSchema).min(1).optional(),
      any: z.array(conditionSchema).min(1).optional(),
      fact: z.string().min(1).optional(),
      operator: z.enum(OPERATORS).optional(),
      value: z
        .union([z.boolean(), z.number(), z.string(), z.array(z.string()).min(1), z.strictObject({ fact: z.string() })])
        .optional(),
      params: z.strictObject({ question: z.string() }).optional(),
    })
    .superRefine((c, ctx) => {
      const kinds = [c.all, c.any, c.fact].filter((x) => x !== undefined).length;
      if (kinds !== 1) {
        ctx.addIssue({ code: 'custom', message: 'a condition has exactly one of "all", "any" or "fact"' });
      } else if (c.fact !== undefined && (c.operator === undefined || c.value === undefined)) {
        ctx.addIssue({ code: 'custom', message: `the condition on "${c.fact}" needs "operator" and "value"` });
      } else if (c.fact === undefined && (c.operator ?? c.value ?? c.params) !== undefined) {
        ctx.addIssue({ code: 'custom', message: '"operator", "value" and "params" belong beside "fact"' });
      }
    }),
);

/** `askIf`: only asked (and only accepted) when an earlier question has this answer. */
const questionSchema = z.strictObject({
  id: z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'must be camelCase, e.g. weeksConservativeTherapy'),
  text,
  help: text,
  type: z.enum(QUESTION_TYPES),
  required: z.boolean(),
  choices: z
    .array(z.strictObject({ value: z.string().regex(/^[a-z0-9_]+$/, 'must be lower_snake_case'), label: text }))
    .min(2, 'a choice question needs at least 2 choices')
    .optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  unit: text.optional(),
  askIf: z
    .strictObject({ questionId: z.string(), equals: z.union([z.string(), z.number(), z.boolean()]) })
    .optional(),
});

/**
 * `priority`: higher is applied first (json-rules-engine's rule priority). `reason`: plain
 * language for the office, may use {requestedUnits} and {maxUnits}. `approvedUnits` (rehab,
 * NEEDS_REVIEW only): the guideline supports maxUnits of the request, a partial approval that only
 * a clinician can give. `conditions`: top level `all` or `any`, as json-rules-engine requires.
 */
const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase words joined by hyphens'),
  priority: z.number().int().min(1),
  outcome,
  reason: text,
  approvedUnits: z.literal('maxUnits').optional(),
  conditions: conditionSchema,
});

/**
 * `healthPlanIds` null: every plan without a plan-specific guideline for the group.
 * `effectiveTo`: inclusive last day, or null. `maxUnits` (rehab only): units of 15 minutes one
 * request may get without a clinician's review. `sources`: the public criteria it follows.
 */
const documentSchema = z.strictObject({
  id: z.string().regex(/^[A-Z0-9]+(-[A-Z0-9]+)*$/, 'must be uppercase words joined by hyphens, e.g. IMG-LSPINE-MRI'),
  version: z.number().int().min(1),
  title: text,
  program: z.enum(PROGRAMS),
  procedureGroup: z.enum(Object.keys(PROCEDURE_GROUPS) as [ProcedureGroup, ...ProcedureGroup[]]),
  healthPlanIds: z.array(z.string().regex(/^[A-Z0-9]{2,12}$/, 'must be a plan id such as NEBHP')).min(1).nullable(),
  effectiveFrom: isoDate,
  effectiveTo: isoDate.nullable(),
  maxUnits: z.number().int().min(1).optional(),
  sources: z.array(text).min(1),
  questions: z.array(questionSchema).min(1),
  rules: z.array(ruleSchema).min(1),
  otherwise: z.strictObject({ outcome, reason: text }),
});

export type GuidelineQuestion = z.infer<typeof questionSchema>;
export type GuidelineRule = z.infer<typeof ruleSchema>;
export type GuidelineDocument = z.infer<typeof documentSchema>;

// ---- Parsing --------------------------------------------------------------------------------

export class GuidelineDataError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid guideline:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'GuidelineDataError';
  }
}

/**
 * Checks a guideline document and returns it typed; throws GuidelineDataError listing every
 * problem with its place (e.g. `rules[2] "red-flag-cancer": ...`). Cross-field checks run once the
 * structure is right, since they need it.
 */
export function parseGuideline(json: unknown, source = 'guideline'): GuidelineDocument {
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    throw new GuidelineDataError(
      source,
      parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(document)'}: ${i.message}`),
    );
  }
  const doc: GuidelineDocument = parsed.data;
  const problems = documentProblems(doc);
  if (problems.length) throw new GuidelineDataError(source, problems);
  return doc;
}

function documentProblems(g: GuidelineDocument): string[] {
  const problems: string[] = [];
  const add = (where: string, message: string) => problems.push(`${where}: ${message}`);
  const rehab = g.program === 'REHAB';

  if (g.effectiveTo !== null && g.effectiveTo < g.effectiveFrom) add('effectiveTo', 'is before effectiveFrom');
  if (PROCEDURE_GROUPS[g.procedureGroup] !== g.program) {
    add('procedureGroup', `${g.procedureGroup} belongs to the ${PROCEDURE_GROUPS[g.procedureGroup]} program`);
  }
  if (rehab !== (g.maxUnits !== undefined)) add('maxUnits', rehab ? 'is required for REHAB' : 'is for REHAB only');

  // Questions: each one checked against its type; askIf only looks back, so there is no cycle
  // and an office form can show questions in file order.
  const seen = new Map<string, GuidelineQuestion>();
  g.questions.forEach((q, i) => {
    const where = `questions[${i}] "${q.id}"`;
    if (seen.has(q.id)) add(where, 'duplicate question id');
    if (q.id in BUILTIN_FACTS) add(where, `"${q.id}" is a built-in fact name`);
    if ((q.type === 'choice') !== (q.choices !== undefined)) add(where, 'choices go with type "choice" only');
    if (new Set(q.choices?.map((c) => c.value)).size !== (q.choices?.length ?? 0)) add(where, 'duplicate choice values');
    if (q.type !== 'number' && (q.min ?? q.max ?? q.unit) !== undefined) add(where, 'min, max and unit go with type "number" only');
    if (q.min !== undefined && q.max !== undefined && q.min > q.max) add(where, 'min is above max');
    if (q.askIf) {
      const parent = seen.get(q.askIf.questionId);
      if (!parent) add(where, `askIf names "${q.askIf.questionId}", which is not an earlier question`);
      else {
        const problem = valueProblem(parent, q.askIf.equals);
        if (problem) add(where, `askIf: ${JSON.stringify(q.askIf.equals)} cannot answer "${parent.id}" (${problem})`);
      }
    }
    seen.set(q.id, q);
  });

  // Rules: tiers in file order, one outcome per tier, known facts with fitting operators and values.
  const ruleIds = new Set<string>();
  const tierOutcome = new Map<number, string>();
  g.rules.forEach((r, i) => {
    const where = `rules[${i}] "${r.id}"`;
    if (ruleIds.has(r.id) || r.id === OTHERWISE_RULE_ID) add(where, 'duplicate or reserved rule id');
    ruleIds.add(r.id);
    const previous = g.rules[i - 1];
    if (previous && previous.priority < r.priority) add(where, 'rules must be listed from the highest priority down');
    const tier = `${r.outcome}/${r.approvedUnits ?? ''}`;
    if ((tierOutcome.get(r.priority) ?? tier) !== tier) {
      add(where, `rules of priority ${r.priority} must share one outcome (and approvedUnits)`);
    }
    tierOutcome.set(r.priority, tier);
    if (r.approvedUnits && !(rehab && r.outcome === 'NEEDS_REVIEW')) {
      add(where, 'approvedUnits goes with REHAB NEEDS_REVIEW rules only (a partial approval is a clinician\'s call)');
    }
    for (const placeholder of r.reason.match(/\{[^}]*\}/g) ?? []) {
      if (!['{requestedUnits}', '{maxUnits}'].includes(placeholder)) add(where, `unknown placeholder ${placeholder} in reason`);
    }
    if (r.conditions.fact !== undefined) add(where, 'conditions must start with "all" or "any"');
    walkConditions(r.conditions, (c) => {
      const problem = conditionProblem(g, seen, c);
      if (problem) add(where, problem);
    });
  });
  // A question no rule reads (and no other question depends on) only costs the office time.
  const used = new Set(g.questions.flatMap((q) => (q.askIf ? [q.askIf.questionId] : [])));
  for (const r of g.rules) {
    walkConditions(r.conditions, (c) => {
      used.add(c.fact);
      if (c.params) used.add(c.params.question);
    });
  }
  for (const q of g.questions) if (!used.has(q.id)) add(`question "${q.id}"`, 'no rule uses it');
  return problems;
}

/** Calls `visit` on every fact condition under `c`. */
export function walkConditions(c: GuidelineCondition, visit: (leaf: GuidelineCondition & { fact: string }) => void): void {
  if (c.fact !== undefined) visit({ ...c, fact: c.fact });
  for (const child of [...(c.all ?? []), ...(c.any ?? [])]) walkConditions(child, visit);
}

const NUMBER_OPERATORS: readonly ConditionOperator[] = ['equal', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'];
const DIAGNOSIS_PATTERN = /^[A-Z][0-9][0-9A-Z]{0,5}$/;

function conditionProblem(g: GuidelineDocument, questions: Map<string, GuidelineQuestion>, c: GuidelineCondition & { fact: string }): string | undefined {
  const { fact, operator, value, params } = c;
  const on = `condition on "${fact}"`;
  if (params !== undefined && fact !== 'daysBeforeService') return `${on}: params go with daysBeforeService only`;
  if (typeof value === 'object' && !Array.isArray(value)) {
    // A fact as the value (e.g. requestedUnits <= maxUnits): numbers only.
    const other = value.fact in BUILTIN_FACTS ? BUILTIN_FACTS[value.fact as BuiltinFact] : questions.get(value.fact)?.type;
    if (other !== 'number') return `${on}: a fact used as a value must be a number fact, not "${value.fact}"`;
    if (value.fact === 'maxUnits' && g.program !== 'REHAB') return `${on}: maxUnits is for REHAB only`;
  }
  const isNumberValue = typeof value === 'number' || (typeof value === 'object' && !Array.isArray(value));

  if (fact in BUILTIN_FACTS) {
    const kind = BUILTIN_FACTS[fact as BuiltinFact];
    if (fact === 'maxUnits' && g.program !== 'REHAB') return `${on}: maxUnits is for REHAB only`;
    if (fact === 'daysBeforeService') {
      const q = params && questions.get(params.question);
      if (!q || q.type !== 'date') return `${on}: params.question must name a date question`;
    }
    switch (kind) {
      case 'number':
        return NUMBER_OPERATORS.includes(operator!) && isNumberValue ? undefined : `${on}: use a number comparison with a number`;
      case 'urgency':
        return operator === 'equal' && URGENCIES.includes(value as never) ? undefined : `${on}: use equal with STANDARD or URGENT`;
      case 'codes':
        if (operator !== 'diagnosisIn' || !Array.isArray(value)) return `${on}: use diagnosisIn with a list of codes or ranges`;
        for (const entry of value) {
          const [low, high, extra] = entry.split('-');
          const ok =
            extra === undefined &&
            DIAGNOSIS_PATTERN.test(low!) &&
            (high === undefined || (DIAGNOSIS_PATTERN.test(high) && high.length === low!.length && low! <= high));
          if (!ok) return `${on}: "${entry}" is not an ICD-10-CM code prefix (e.g. G43) or range (e.g. C00-C96)`;
        }
        return undefined;
      case 'date':
        return `${on}: compare dates through daysBeforeService`;
    }
  }

  const q = questions.get(fact);
  if (!q) return `${on}: no question or built-in fact has this name`;
  switch (q.type) {
    case 'yes_no':
      return operator === 'equal' && typeof value === 'boolean' ? undefined : `${on}: use equal with true or false`;
    case 'number':
      return NUMBER_OPERATORS.includes(operator!) && isNumberValue ? undefined : `${on}: use a number comparison with a number`;
    case 'choice': {
      const values = operator === 'equal' ? [value] : operator === 'in' && Array.isArray(value) ? value : undefined;
      if (!values) return `${on}: use equal with a choice, or in with a list of choices`;
      const unknown = values.filter((v) => !q.choices!.some((ch) => ch.value === v));
      return unknown.length ? `${on}: ${unknown.map((v) => JSON.stringify(v)).join(', ')} not among the choices` : undefined;
    }
    case 'date':
      return `${on}: compare dates through daysBeforeService`;
  }
}

/** Why `value` cannot be an answer to `q` (type and range), or undefined when it can. */
export function valueProblem(q: GuidelineQuestion, value: unknown): string | undefined {
  switch (q.type) {
    case 'yes_no':
      return typeof value === 'boolean' ? undefined : 'answer Yes or No';
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'enter a number';
      const unit = q.unit ? ` ${q.unit}` : '';
      if (q.min !== undefined && q.max !== undefined && (value < q.min || value > q.max)) {
        return `enter a number from ${q.min} to ${q.max}${unit}`;
      }
      if (q.min !== undefined && value < q.min) return `enter ${q.min}${unit} or more`;
      if (q.max !== undefined && value > q.max) return `enter ${q.max}${unit} or less`;
      return undefined;
    }
    case 'choice':
      return q.choices!.some((c) => c.value === value)
        ? undefined
        : `choose one of: ${q.choices!.map((c) => c.label).join('; ')}`;
    case 'date':
      return isCalendarDate(value) ? undefined : 'enter a real date as YYYY-MM-DD';
  }
}

// ---- Choosing the guideline for an exam -------------------------------------------------------

function effectiveOn(g: GuidelineDocument, date: string): boolean {
  return g.effectiveFrom <= date && (g.effectiveTo === null || date <= g.effectiveTo);
}

/**
 * The guideline for an exam: among versions effective on the date of service, a guideline for
 * the plan beats the generic one (healthPlanIds null), and the highest version wins. A plan whose
 * own guideline is not (yet, or any longer) effective on the date falls back to the generic one.
 */
export function selectGuideline(
  all: GuidelineDocument[],
  q: { procedureGroup: string; healthPlanId: string; dateOfService: string },
): GuidelineDocument | undefined {
  const effective = all.filter((g) => g.procedureGroup === q.procedureGroup && effectiveOn(g, q.dateOfService));
  const own = effective.filter((g) => g.healthPlanIds?.includes(q.healthPlanId));
  const pool = own.length ? own : effective.filter((g) => g.healthPlanIds === null);
  return pool.reduce<GuidelineDocument | undefined>((best, g) => (best && best.version >= g.version ? best : g), undefined);
}

/**
 * Problems of a set of guidelines taken together (what a loader checks before it replaces the
 * table): one document per id and version; the versions of an id share group and plans and do
 * not overlap in time; and one id per group and plan scope, so selection never has to choose
 * between two different guidelines.
 */
export function guidelineSetProblems(all: GuidelineDocument[]): string[] {
  const problems: string[] = [];
  const byId = new Map<string, GuidelineDocument[]>();
  for (const g of all) byId.set(g.id, [...(byId.get(g.id) ?? []), g]);
  const scopeOwner = new Map<string, string>();
  for (const [id, versions] of byId) {
    versions.sort((a, b) => a.version - b.version);
    const first = versions[0]!;
    const plans = JSON.stringify(first.healthPlanIds?.slice().sort() ?? null);
    versions.forEach((v, i) => {
      const next = versions[i + 1];
      if (next?.version === v.version) problems.push(`${id} v${v.version}: two documents with this id and version`);
      if (v.procedureGroup !== first.procedureGroup || JSON.stringify(v.healthPlanIds?.slice().sort() ?? null) !== plans) {
        problems.push(`${id} v${v.version}: every version of a guideline must have the same procedure group and plans`);
      }
      if (next && (v.effectiveTo === null || v.effectiveTo >= next.effectiveFrom)) {
        problems.push(`${id} v${v.version}: its dates overlap v${next.version}`);
      }
    });
    for (const plan of first.healthPlanIds ?? ['(generic)']) {
      const scope = `${first.procedureGroup} ${plan}`;
      const owner = scopeOwner.get(scope);
      if (owner) problems.push(`${id}: ${owner} already covers ${scope}`);
      scopeOwner.set(scope, id);
    }
  }
  return problems;
}
