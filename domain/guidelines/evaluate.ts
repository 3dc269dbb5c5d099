import { Engine, Operator, type Almanac, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import {
  OTHERWISE_RULE_ID,
  URGENCIES,
  daysBetween,
  isCalendarDate,
  valueProblem,
  type GuidelineDocument,
  type GuidelineQuestion,
  type GuidelineRule,
  type Outcome,
} from './types';

/** What an exam brings to its guideline. */
export interface ExamFacts {
  /** By question id; dates as YYYY-MM-DD. */
  answers: Record<string, string | number | boolean>;
  /** ICD-10-CM, with or without the dot. */
  diagnosisCodes: string[];
  memberAgeYears: number;
  urgency: 'STANDARD' | 'URGENT';
  /** Rehab: units of 15 minutes; imaging: 1. */
  requestedUnits: number;
  dateOfService: string;
}

export interface AnswerProblem {
  questionId: string;
  message: string;
}

export interface GuidelineResult {
  guidelineId: string;
  version: number;
  outcome: Outcome;
  /** Plain language: what decided. */
  reasons: string[];
  /** The rules that decided, or [OTHERWISE_RULE_ID]. */
  ruleIds: string[];
  /**
   * Rehab only: the units this guideline supports. MET: all requested units. NEEDS_REVIEW over the
   * limit: maxUnits (a suggested partial approval that only a clinician can give). Otherwise 0.
   */
  approvedUnits?: number;
}

export class InvalidAnswersError extends Error {
  constructor(
    readonly guidelineId: string,
    readonly problems: AnswerProblem[],
  ) {
    super(`Answers do not fit guideline ${guidelineId}: ${problems.map((p) => `${p.questionId}: ${p.message}`).join('; ')}`);
    this.name = 'InvalidAnswersError';
  }
}

// ---- Answers ------------------------------------------------------------------------------

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function answerLabel(q: GuidelineQuestion, v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  return q.choices?.find((c) => c.value === v)?.label ?? String(v);
}

/** Ids of the questions the office is asked, given its answers so far (askIf looks back only). */
export function askedQuestionIds(g: GuidelineDocument, answers: Record<string, unknown>): Set<string> {
  const asked = new Set<string>();
  for (const q of g.questions) {
    if (!q.askIf || (asked.has(q.askIf.questionId) && answers[q.askIf.questionId] === q.askIf.equals)) asked.add(q.id);
  }
  return asked;
}

/**
 * Every problem of a set of answers, worded for the office. An answer to a follow-up question
 * that is not asked is refused rather than ignored: it usually means an earlier answer changed,
 * and the rules must not read a stale answer. With `dateOfService`, date answers (all of them are
 * past events: onset, last report) may not be after it.
 */
export function answerProblems(
  g: GuidelineDocument,
  answers: Record<string, unknown>,
  dateOfService?: string,
): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  const byId = new Map(g.questions.map((q) => [q.id, q]));
  for (const id of Object.keys(answers)) {
    if (!byId.has(id) && !isBlank(answers[id])) problems.push({ questionId: id, message: 'This guideline has no such question.' });
  }
  const asked = askedQuestionIds(g, answers);
  for (const q of g.questions) {
    const value = answers[q.id];
    if (!asked.has(q.id)) {
      if (!isBlank(value)) {
        const parent = byId.get(q.askIf!.questionId)!;
        problems.push({
          questionId: q.id,
          message: `Leave "${q.text}" unanswered: it is asked only when "${parent.text}" is ${answerLabel(parent, q.askIf!.equals)}.`,
        });
      }
      continue;
    }
    if (isBlank(value)) {
      if (q.required) problems.push({ questionId: q.id, message: `Please answer: ${q.text}` });
      continue;
    }
    const problem = valueProblem(q, value);
    if (problem) {
      problems.push({ questionId: q.id, message: `${q.text} Please ${problem}.` });
    } else if (q.type === 'date' && dateOfService !== undefined && (value as string) > dateOfService) {
      problems.push({ questionId: q.id, message: `${q.text} The date is after the date of service (${dateOfService}); enter the date it happened.` });
    }
  }
  return problems;
}

function factProblems(f: ExamFacts): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  if (!isCalendarDate(f.dateOfService)) problems.push({ questionId: 'dateOfService', message: 'The date of service must be a real date (YYYY-MM-DD).' });
  if (!Number.isInteger(f.requestedUnits) || f.requestedUnits < 1) problems.push({ questionId: 'requestedUnits', message: 'The number of units must be a whole number of 1 or more.' });
  if (!Number.isFinite(f.memberAgeYears) || f.memberAgeYears < 0) problems.push({ questionId: 'memberAgeYears', message: 'The member age must be 0 or more.' });
  if (!URGENCIES.includes(f.urgency)) problems.push({ questionId: 'urgency', message: 'Urgency must be STANDARD or URGENT.' });
  return problems;
}

// ---- Evaluation ---------------------------------------------------------------------------

/** A code matches a prefix ("G43") or a range of prefixes of one length ("C00-C96"). */
const diagnosisIn = new Operator<string[], string[]>(
  'diagnosisIn',
  (codes, patterns) =>
    codes.some((code) =>
      patterns.some((pattern) => {
        const [low, high = low] = pattern.split('-') as [string, string?];
        const head = code.slice(0, low.length);
        return head.length === low.length && low <= head && head <= high!;
      }),
    ),
  Array.isArray,
);

function toEngineRule(r: GuidelineRule): RuleProperties {
  return {
    name: r.id,
    priority: r.priority,
    // parseGuideline checked the shape; the library's types only lack our operator names.
    conditions: r.conditions as TopLevelCondition,
    event: { type: r.outcome },
  };
}

function fillReason(reason: string, g: GuidelineDocument, f: ExamFacts): string {
  return reason.replaceAll('{requestedUnits}', String(f.requestedUnits)).replaceAll('{maxUnits}', String(g.maxUnits));
}

/**
 * Applies a guideline to one exam. The highest priority tier in which any rule holds decides
 * (a tier has one outcome), and all of that tier's rules that hold are reported; when none
 * holds, `otherwise`. Async because json-rules-engine is.
 */
export async function evaluateGuideline(g: GuidelineDocument, facts: ExamFacts): Promise<GuidelineResult> {
  const problems = [...factProblems(facts), ...answerProblems(g, facts.answers, facts.dateOfService)];
  if (problems.length) throw new InvalidAnswersError(g.id, problems);

  // A fresh engine per call: no state leaks between exams, and building one costs microseconds.
  // Undefined facts are allowed because follow-up questions that were not asked have no answer;
  // the operators in use are all false for them (see OPERATORS).
  const engine = new Engine(g.rules.map(toEngineRule), { allowUndefinedFacts: true });
  engine.addOperator(diagnosisIn);
  engine.addFact('daysBeforeService', async (params: Record<string, unknown>, almanac: Almanac) => {
    const answer = await almanac.factValue<unknown>(String(params.question));
    return typeof answer === 'string' ? daysBetween(answer, facts.dateOfService) : undefined;
  });
  // Only answers to questions asked reach the rules (answerProblems allows blank optional ones).
  const asked = askedQuestionIds(g, facts.answers);
  const answers = Object.entries(facts.answers).filter(([id, v]) => asked.has(id) && !isBlank(v));
  const run = await engine.run({
    ...Object.fromEntries(answers),
    diagnosisCodes: facts.diagnosisCodes.map((c) => c.replace('.', '').trim().toUpperCase()),
    memberAgeYears: facts.memberAgeYears,
    urgency: facts.urgency,
    requestedUnits: facts.requestedUnits,
    dateOfService: facts.dateOfService,
    ...(g.maxUnits !== undefined && { maxUnits: g.maxUnits }),
  });

  const held = new Set(run.results.map((r) => r.name));
  const holding = g.rules.filter((r) => held.has(r.id));
  const top = holding[0]?.priority; // rules are listed by priority, highest first
  const deciding = holding.filter((r) => r.priority === top);
  const first = deciding[0];
  const outcome = first?.outcome ?? g.otherwise.outcome;
  const result: GuidelineResult = {
    guidelineId: g.id,
    version: g.version,
    outcome,
    reasons: first ? deciding.map((r) => fillReason(r.reason, g, facts)) : [fillReason(g.otherwise.reason, g, facts)],
    ruleIds: first ? deciding.map((r) => r.id) : [OTHERWISE_RULE_ID],
  };
  if (g.maxUnits !== undefined) {
    if (outcome === 'MET' && facts.requestedUnits > g.maxUnits) {
      // Would approve more than the guideline allows without review: a defect in the data, which
      // must fail loudly rather than approve.
      throw new Error(`Guideline ${g.id} v${g.version}: rule ${result.ruleIds.join(', ')} approves more than maxUnits`);
    }
    result.approvedUnits =
      outcome === 'MET' ? facts.requestedUnits : first?.approvedUnits === 'maxUnits' ? Math.min(g.maxUnits, facts.requestedUnits) : 0;
  }
  return result;
}
