import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  BUILTIN_FACTS,
  GuidelineDataError,
  InvalidAnswersError,
  OTHERWISE_RULE_ID,
  PROCEDURE_GROUPS,
  answerProblems,
  evaluateGuideline,
  guidelineSetProblems,
  parseGuideline,
  selectGuideline,
  walkConditions,
  type ExamFacts,
  type GuidelineDocument,
  type Outcome,
} from '../domain/guidelines';
import { healthPlans } from '../prisma/seed/roster';

// Pure: no stack. The data files are read as the loader reads them.
const DIR = path.join(__dirname, '..', 'prisma', 'data', 'guidelines');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const raw = (file: string): unknown => JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
const ALL: GuidelineDocument[] = FILES.flatMap((f) => {
  try {
    return [parseGuideline(raw(f), f)];
  } catch {
    return []; // reported by the "parses" test
  }
});
const key = (g: { id: string; version: number }) => `${g.id} v${g.version}`;
const doc = (k: string): GuidelineDocument => {
  const g = ALL.find((x) => key(x) === k);
  if (!g) throw new Error(`no guideline ${k}`);
  return g;
};

describe('guideline data files', () => {
  test.each(FILES)('%s parses', (f) => {
    expect(() => parseGuideline(raw(f), f)).not.toThrow();
  });

  test.each(FILES)('%s is named <id>.v<version>.json', (f) => {
    const g = parseGuideline(raw(f), f);
    expect(f).toBe(`${g.id}.v${g.version}.json`);
  });

  test('ids and versions are unique, and the set is consistent', () => {
    expect(new Set(ALL.map(key)).size).toBe(ALL.length);
    expect(guidelineSetProblems(ALL)).toEqual([]);
  });

  test.each(ALL.map((g) => [key(g), g] as const))('%s: unique rule ids; rules read only known facts', (_k, g) => {
    expect(new Set(g.rules.map((r) => r.id)).size).toBe(g.rules.length);
    const questions = new Set(g.questions.map((q) => q.id));
    for (const r of g.rules) {
      walkConditions(r.conditions, (c) => {
        expect(questions.has(c.fact) || c.fact in BUILTIN_FACTS).toBe(true);
        if (c.params) expect(questions.has(c.params.question)).toBe(true);
      });
    }
  });

  test('plans named by guidelines exist; NEBHP has its stricter variants', () => {
    const planIds = new Set(healthPlans.map((p) => p.id));
    for (const g of ALL) for (const p of g.healthPlanIds ?? []) expect(planIds.has(p)).toBe(true);
    const nebhpGroups = ALL.filter((g) => g.healthPlanIds?.includes('NEBHP')).map((g) => g.procedureGroup);
    expect(nebhpGroups).toEqual(expect.arrayContaining(['LUMBAR_SPINE_MRI', 'PT_CONTINUED']));
  });

  test.each(['2025-01-01', '2026-06-30', '2026-07-01', '2030-01-01'])('every procedure group has a generic guideline on %s', (date) => {
    for (const group of Object.keys(PROCEDURE_GROUPS)) {
      expect(selectGuideline(ALL, { procedureGroup: group, healthPlanId: 'GLCH', dateOfService: date })).toBeDefined();
    }
  });
});

// ---- One table per guideline ------------------------------------------------------------------

type Answers = Record<string, string | number | boolean | undefined>;
interface Case {
  name: string;
  /** Overrides of the table's base answers; undefined removes one (a follow-up not asked). */
  answers?: Answers;
  facts?: Partial<Omit<ExamFacts, 'answers'>>;
  outcome: Outcome;
  ruleIds: string[];
  approvedUnits?: number;
}
interface Table {
  base: Answers;
  facts?: Partial<Omit<ExamFacts, 'answers'>>;
  cases: Case[];
}

function answersOf(...parts: (Answers | undefined)[]): ExamFacts['answers'] {
  const merged: Answers = Object.assign({}, ...parts);
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as ExamFacts['answers'];
}

const OTHERWISE = [OTHERWISE_RULE_ID];

const NO_CARE: Answers = { conservativeCare: false, conservativeCareWeeks: undefined };
const redFlagCases = (noCare: Answers = NO_CARE): Case[] => [
  { name: 'cancer history answered', answers: { cancerHistory: true, conservativeCareWeeks: 1 }, outcome: 'MET', ruleIds: ['red-flag-cancer'] },
  { name: 'cancer diagnosis code only', answers: { conservativeCareWeeks: 1 }, facts: { diagnosisCodes: ['M54.16', 'C50.911'] }, outcome: 'MET', ruleIds: ['red-flag-cancer'] },
  { name: 'history-of-cancer code (Z85)', answers: { conservativeCareWeeks: 1 }, facts: { diagnosisCodes: ['Z853'] }, outcome: 'MET', ruleIds: ['red-flag-cancer'] },
  { name: 'possible infection', answers: { infectionRisk: true, ...noCare }, outcome: 'MET', ruleIds: ['red-flag-infection'] },
  { name: 'cauda equina signs, urgent', answers: { caudaEquinaSigns: true, conservativeCareWeeks: 0 }, facts: { urgency: 'URGENT' }, outcome: 'MET', ruleIds: ['red-flag-cauda-equina'] },
  { name: 'worsening nerve deficit', answers: { progressiveDeficit: true, conservativeCareWeeks: 2 }, outcome: 'MET', ruleIds: ['red-flag-nerve-deficit'] },
  { name: 'suspected fracture', answers: { fractureSuspected: true, symptomPattern: 'back_only' }, outcome: 'MET', ruleIds: ['red-flag-fracture'] },
  { name: 'two red flags are both reported', answers: { cancerHistory: true, fractureSuspected: true }, outcome: 'MET', ruleIds: ['red-flag-cancer', 'red-flag-fracture'] },
];

function genericSpine(surgeryQuestions: boolean): Table {
  const cases: Case[] = [
    ...redFlagCases(),
    { name: 'sciatica after 8 weeks of conservative care', outcome: 'MET', ruleIds: ['leg-symptoms-after-6-weeks'] },
    { name: 'stenosis at exactly 6 weeks', answers: { symptomPattern: 'stenosis', conservativeCareWeeks: 6 }, outcome: 'MET', ruleIds: ['leg-symptoms-after-6-weeks'] },
    { name: 'sciatica after 5 weeks', answers: { conservativeCareWeeks: 5 }, outcome: 'NOT_MET', ruleIds: ['under-6-weeks-conservative-care'] },
    { name: 'no conservative care', answers: { conservativeCare: false, conservativeCareWeeks: undefined }, outcome: 'NOT_MET', ruleIds: ['under-6-weeks-conservative-care'] },
    { name: 'a benign tumor code is not a cancer history', answers: { conservativeCareWeeks: 2 }, facts: { diagnosisCodes: ['D17.1'] }, outcome: 'NOT_MET', ruleIds: ['under-6-weeks-conservative-care'] },
    { name: 'back pain only, under 6 weeks', answers: { symptomPattern: 'back_only', conservativeCareWeeks: 3 }, outcome: 'NOT_MET', ruleIds: ['under-6-weeks-conservative-care'] },
    { name: 'back pain only after 10 weeks', answers: { symptomPattern: 'back_only', conservativeCareWeeks: 10 }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
  ];
  if (surgeryQuestions) {
    cases.push(
      { name: 'new symptoms after surgery', answers: { priorLumbarSurgery: true, newSymptomsSinceSurgery: true, conservativeCareWeeks: 1 }, outcome: 'MET', ruleIds: ['new-symptoms-after-surgery'] },
      { name: 'surgery long ago, no new symptoms', answers: { priorLumbarSurgery: true, newSymptomsSinceSurgery: false, conservativeCareWeeks: 1 }, outcome: 'NOT_MET', ruleIds: ['under-6-weeks-conservative-care'] },
    );
  }
  return {
    base: {
      cancerHistory: false,
      infectionRisk: false,
      caudaEquinaSigns: false,
      progressiveDeficit: false,
      fractureSuspected: false,
      ...(surgeryQuestions ? { priorLumbarSurgery: false } : {}),
      symptomPattern: 'radiculopathy',
      conservativeCare: true,
      conservativeCareWeeks: 8,
    },
    cases,
  };
}

function rehabInitial(maxUnits: number): Table {
  return {
    base: { functionalDeficit: true, measurableGoals: true, expectedImprovement: true },
    facts: { requestedUnits: maxUnits },
    cases: [
      { name: 'units at the limit', outcome: 'MET', ruleIds: ['deficit-goals-and-expected-improvement'], approvedUnits: maxUnits },
      { name: 'fewer units', facts: { requestedUnits: 8 }, outcome: 'MET', ruleIds: ['deficit-goals-and-expected-improvement'], approvedUnits: 8 },
      { name: 'more units than allowed: partial, for a clinician', facts: { requestedUnits: maxUnits + 8 }, outcome: 'NEEDS_REVIEW', ruleIds: ['more-units-than-allowed'], approvedUnits: maxUnits },
      { name: 'no loss of function', answers: { functionalDeficit: false }, outcome: 'NOT_MET', ruleIds: ['no-functional-deficit'], approvedUnits: 0 },
      { name: 'no measurable goals', answers: { measurableGoals: false }, outcome: 'NOT_MET', ruleIds: ['no-measurable-goals'], approvedUnits: 0 },
      { name: 'neither, both reported', answers: { functionalDeficit: false, measurableGoals: false }, outcome: 'NOT_MET', ruleIds: ['no-functional-deficit', 'no-measurable-goals'] },
      { name: 'no loss of function beats too many units', answers: { functionalDeficit: false }, facts: { requestedUnits: maxUnits + 1 }, outcome: 'NOT_MET', ruleIds: ['no-functional-deficit'] },
      { name: 'maintenance care', answers: { expectedImprovement: false }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE, approvedUnits: 0 },
      { name: 'maintenance care with many units', answers: { expectedImprovement: false }, facts: { requestedUnits: maxUnits * 2 }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE, approvedUnits: 0 },
    ],
  };
}

/** Date of service 2026-03-02; the base progress report is 10 days old. */
function rehabContinued(o: { maxUnits: number; maxVisits: number; reportDays: number; nebhp?: boolean }): Table {
  const reportDaysAgo = (days: number) => new Date(Date.parse('2026-03-02T00:00:00Z') - days * 86_400_000).toISOString().slice(0, 10);
  const cases: Case[] = [
    { name: 'progress and updated goals', outcome: 'MET', ruleIds: ['progress-and-updated-goals'], approvedUnits: o.maxUnits },
    { name: `report exactly ${o.reportDays} days old`, answers: { progressReportDate: reportDaysAgo(o.reportDays) }, outcome: 'MET', ruleIds: ['progress-and-updated-goals'] },
    { name: `report ${o.reportDays + 1} days old`, answers: { progressReportDate: reportDaysAgo(o.reportDays + 1) }, outcome: 'NOT_MET', ruleIds: ['progress-report-outdated'], approvedUnits: 0 },
    { name: 'outdated report beats no progress', answers: { progressReportDate: reportDaysAgo(60), measurableProgress: false }, outcome: 'NOT_MET', ruleIds: ['progress-report-outdated'] },
    { name: 'no measurable progress', answers: { measurableProgress: false }, outcome: 'NEEDS_REVIEW', ruleIds: ['no-measurable-progress'], approvedUnits: 0 },
    { name: `${o.maxVisits} visits so far`, answers: { visitsSoFar: o.maxVisits }, outcome: 'MET', ruleIds: ['progress-and-updated-goals'] },
    { name: `${o.maxVisits + 1} visits so far`, answers: { visitsSoFar: o.maxVisits + 1 }, outcome: 'NEEDS_REVIEW', ruleIds: ['long-episode'] },
    { name: 'no progress in a long episode, both reported', answers: { measurableProgress: false, visitsSoFar: 80 }, outcome: 'NEEDS_REVIEW', ruleIds: ['no-measurable-progress', 'long-episode'] },
    { name: 'more units than allowed: partial, for a clinician', facts: { requestedUnits: o.maxUnits + 4 }, outcome: 'NEEDS_REVIEW', ruleIds: ['more-units-than-allowed'], approvedUnits: o.maxUnits },
    { name: 'goals not updated', answers: { goalsUpdated: false }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE, approvedUnits: 0 },
  ];
  if (o.nebhp) {
    cases.push(
      { name: 'no home program', answers: { homeProgram: false }, outcome: 'NEEDS_REVIEW', ruleIds: ['no-home-program'] },
      { name: '20 units: within the generic limit, over this plan\'s', facts: { requestedUnits: 20 }, outcome: 'NEEDS_REVIEW', ruleIds: ['more-units-than-allowed'], approvedUnits: o.maxUnits },
      { name: 'a 20-day-old report is too old for this plan', answers: { progressReportDate: reportDaysAgo(20) }, outcome: 'NOT_MET', ruleIds: ['progress-report-outdated'] },
    );
  }
  return {
    base: { progressReportDate: reportDaysAgo(10), measurableProgress: true, goalsUpdated: true, visitsSoFar: 12, ...(o.nebhp ? { homeProgram: true } : {}) },
    facts: { requestedUnits: o.maxUnits, dateOfService: '2026-03-02' },
    cases,
  };
}

const TABLES: Record<string, Table> = {
  'IMG-LSPINE-MRI v1': genericSpine(false),
  'IMG-LSPINE-MRI v2': genericSpine(true),
  'IMG-LSPINE-MRI-NEBHP v1': {
    base: { ...genericSpine(true).base, conservativeCareWeeks: 10, physicalTherapy: true },
    cases: [
      ...redFlagCases({ ...NO_CARE, physicalTherapy: undefined }),
      { name: 'red flag without supervised therapy', answers: { cancerHistory: true, physicalTherapy: false }, outcome: 'MET', ruleIds: ['red-flag-cancer'] },
      { name: 'new symptoms after surgery', answers: { priorLumbarSurgery: true, newSymptomsSinceSurgery: true, conservativeCareWeeks: 1 }, outcome: 'MET', ruleIds: ['new-symptoms-after-surgery'] },
      { name: 'sciatica after 10 weeks with physical therapy', outcome: 'MET', ruleIds: ['leg-symptoms-after-8-weeks-with-therapy'] },
      { name: 'stenosis at exactly 8 weeks', answers: { symptomPattern: 'stenosis', conservativeCareWeeks: 8 }, outcome: 'MET', ruleIds: ['leg-symptoms-after-8-weeks-with-therapy'] },
      { name: 'sciatica after 7 weeks (enough for other plans)', answers: { conservativeCareWeeks: 7 }, outcome: 'NOT_MET', ruleIds: ['under-8-weeks-conservative-care'] },
      { name: 'medication only', answers: { physicalTherapy: false }, outcome: 'NOT_MET', ruleIds: ['no-supervised-therapy'] },
      { name: 'short and without therapy, both reported', answers: { physicalTherapy: false, conservativeCareWeeks: 4 }, outcome: 'NOT_MET', ruleIds: ['under-8-weeks-conservative-care', 'no-supervised-therapy'] },
      { name: 'no conservative care', answers: { conservativeCare: false, conservativeCareWeeks: undefined, physicalTherapy: undefined }, outcome: 'NOT_MET', ruleIds: ['under-8-weeks-conservative-care'] },
      { name: 'back pain only after 10 weeks with therapy', answers: { symptomPattern: 'back_only' }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
    ],
  },
  'IMG-BRAIN-MRI-HEADACHE v1': {
    base: {
      thunderclap: false,
      neurologicalDeficit: false,
      papilledema: false,
      newHeadache: false,
      weakImmuneSystemOrCancer: false,
      patternChange: false,
      exertionalOrPositional: false,
      headacheType: 'migraine',
    },
    cases: [
      { name: 'stable migraine', outcome: 'NOT_MET', ruleIds: ['stable-migraine-or-tension-headache'] },
      { name: 'tension-type headache', answers: { headacheType: 'tension' }, outcome: 'NOT_MET', ruleIds: ['stable-migraine-or-tension-headache'] },
      { name: 'thunderclap, urgent', answers: { thunderclap: true }, facts: { urgency: 'URGENT' }, outcome: 'MET', ruleIds: ['thunderclap'] },
      { name: 'new neurological problem', answers: { neurologicalDeficit: true }, outcome: 'MET', ruleIds: ['neurological-deficit'] },
      { name: 'papilledema', answers: { papilledema: true }, outcome: 'MET', ruleIds: ['papilledema'] },
      { name: 'new headache at 50', answers: { newHeadache: true, headacheType: 'other' }, facts: { memberAgeYears: 50 }, outcome: 'MET', ruleIds: ['new-headache-age-50-or-over'] },
      { name: 'new headache at 49, not diagnosed', answers: { newHeadache: true, headacheType: 'other' }, facts: { memberAgeYears: 49 }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
      { name: 'weak immune system answered', answers: { weakImmuneSystemOrCancer: true }, outcome: 'MET', ruleIds: ['cancer-or-weak-immune-system'] },
      { name: 'HIV code only', facts: { diagnosisCodes: ['G44.209', 'B20'] }, outcome: 'MET', ruleIds: ['cancer-or-weak-immune-system'] },
      { name: 'transplant code only', facts: { diagnosisCodes: ['Z94.0'] }, outcome: 'MET', ruleIds: ['cancer-or-weak-immune-system'] },
      { name: 'marked change in pattern', answers: { patternChange: true }, outcome: 'MET', ruleIds: ['pattern-change'] },
      { name: 'exertional headache', answers: { exertionalOrPositional: true }, outcome: 'MET', ruleIds: ['exertional-or-positional'] },
      { name: 'cluster headache without warning signs', answers: { headacheType: 'cluster' }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
    ],
  },
  'IMG-KNEE-MRI v1': {
    base: { infectionOrTumor: false, xrayDone: true, xrayFinding: 'normal', recentInjury: false, mechanicalSymptoms: false, conservativeCare: true, conservativeCareWeeks: 8 },
    cases: [
      { name: 'pain after 8 weeks, normal X-rays', outcome: 'MET', ruleIds: ['pain-after-6-weeks-conservative-care'] },
      { name: 'other X-ray finding at exactly 6 weeks', answers: { xrayFinding: 'other', conservativeCareWeeks: 6 }, outcome: 'MET', ruleIds: ['pain-after-6-weeks-conservative-care'] },
      { name: 'suspected infection', answers: { infectionOrTumor: true, conservativeCareWeeks: 0 }, outcome: 'MET', ruleIds: ['infection-or-tumor'] },
      { name: 'septic arthritis code without X-rays', answers: { xrayDone: false, xrayFinding: undefined }, facts: { diagnosisCodes: ['M00.061'] }, outcome: 'MET', ruleIds: ['infection-or-tumor'] },
      { name: 'no X-rays yet', answers: { xrayDone: false, xrayFinding: undefined }, outcome: 'NOT_MET', ruleIds: ['xray-first'] },
      { name: 'injury with locking, no therapy', answers: { recentInjury: true, mechanicalSymptoms: true, conservativeCare: false, conservativeCareWeeks: undefined }, outcome: 'MET', ruleIds: ['injury-with-locking-or-instability'] },
      { name: 'injury with giving way despite arthritis', answers: { recentInjury: true, mechanicalSymptoms: true, xrayFinding: 'arthritis' }, outcome: 'MET', ruleIds: ['injury-with-locking-or-instability'] },
      { name: 'arthritis on X-ray', answers: { xrayFinding: 'arthritis' }, outcome: 'NOT_MET', ruleIds: ['arthritis-on-xray'] },
      { name: 'injury without locking, 2 weeks', answers: { recentInjury: true, conservativeCareWeeks: 2 }, outcome: 'NOT_MET', ruleIds: ['under-6-weeks-conservative-care'] },
      { name: 'no conservative care', answers: { conservativeCare: false, conservativeCareWeeks: undefined }, outcome: 'NOT_MET', ruleIds: ['under-6-weeks-conservative-care'] },
      { name: 'fracture on X-ray', answers: { xrayFinding: 'fracture' }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
    ],
  },
  'IMG-CHEST-CT v1': {
    base: { indication: 'abnormal_imaging' },
    cases: [
      { name: 'abnormal chest X-ray', outcome: 'MET', ruleIds: ['abnormal-imaging'] },
      { name: 'nodule follow-up at 6 months', answers: { indication: 'nodule_follow_up', monthsSinceLastCt: 6 }, outcome: 'MET', ruleIds: ['nodule-follow-up-due'] },
      { name: 'nodule follow-up at exactly 3 months', answers: { indication: 'nodule_follow_up', monthsSinceLastCt: 3 }, outcome: 'MET', ruleIds: ['nodule-follow-up-due'] },
      { name: 'nodule follow-up at 2 months', answers: { indication: 'nodule_follow_up', monthsSinceLastCt: 2 }, outcome: 'NEEDS_REVIEW', ruleIds: ['nodule-follow-up-early'] },
      { name: 'hemoptysis', answers: { indication: 'hemoptysis' }, outcome: 'MET', ruleIds: ['hemoptysis'] },
      { name: 'lung cancer staging', answers: { indication: 'cancer' }, facts: { diagnosisCodes: ['C34.11'] }, outcome: 'MET', ruleIds: ['cancer-staging'] },
      { name: 'cancer follow-up without a cancer code', answers: { indication: 'cancer' }, facts: { diagnosisCodes: ['R91.8'] }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
      { name: 'cough for 10 weeks after a chest X-ray', answers: { indication: 'cough', chestXrayDone: true, symptomWeeks: 10 }, outcome: 'MET', ruleIds: ['lasting-cough-after-chest-xray'] },
      { name: 'cough for 10 weeks, no chest X-ray', answers: { indication: 'cough', chestXrayDone: false, symptomWeeks: 10 }, outcome: 'NOT_MET', ruleIds: ['chest-xray-first'] },
      { name: 'cough for 4 weeks after a chest X-ray', answers: { indication: 'cough', chestXrayDone: true, symptomWeeks: 4 }, outcome: 'NOT_MET', ruleIds: ['cough-under-8-weeks'] },
      { name: 'cough for 4 weeks, no chest X-ray: both reported', answers: { indication: 'cough', chestXrayDone: false, symptomWeeks: 4 }, outcome: 'NOT_MET', ruleIds: ['chest-xray-first', 'cough-under-8-weeks'] },
      { name: 'suspected pulmonary embolism, urgent', answers: { indication: 'suspected_pe' }, facts: { urgency: 'URGENT' }, outcome: 'NOT_MET', ruleIds: ['suspected-pe-needs-cta'] },
      { name: 'lung cancer screening', answers: { indication: 'screening' }, outcome: 'NOT_MET', ruleIds: ['screening-uses-low-dose-ct'] },
      { name: 'other reason', answers: { indication: 'other' }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
    ],
  },
  'IMG-ABDPEL-CT v1': {
    base: { indication: 'acute_pain', suspectedCondition: 'appendicitis', specificFindings: false },
    cases: [
      { name: 'suspected appendicitis', outcome: 'MET', ruleIds: ['acute-pain-suspected-condition'] },
      { name: 'acute pain with fever and localized tenderness', answers: { suspectedCondition: 'none', specificFindings: true }, outcome: 'MET', ruleIds: ['acute-pain-specific-findings'] },
      { name: 'diverticulitis with findings: both reported', answers: { suspectedCondition: 'diverticulitis', specificFindings: true }, outcome: 'MET', ruleIds: ['acute-pain-suspected-condition', 'acute-pain-specific-findings'] },
      { name: 'vague acute pain', answers: { suspectedCondition: 'none' }, outcome: 'NEEDS_REVIEW', ruleIds: ['acute-pain-without-findings'] },
      { name: 'ongoing pain without work-up', answers: { indication: 'ongoing_pain', suspectedCondition: undefined, specificFindings: undefined, initialWorkup: false }, outcome: 'NEEDS_REVIEW', ruleIds: ['ongoing-pain-without-work-up'] },
      { name: 'ongoing pain after work-up', answers: { indication: 'ongoing_pain', suspectedCondition: undefined, specificFindings: undefined, initialWorkup: true }, outcome: 'MET', ruleIds: ['ongoing-pain-after-work-up'] },
      { name: 'suspected abscess', answers: { indication: 'abscess', suspectedCondition: undefined, specificFindings: undefined }, outcome: 'MET', ruleIds: ['abscess-or-complication'] },
      { name: 'suspected kidney stone', answers: { indication: 'kidney_stone', suspectedCondition: undefined, specificFindings: undefined }, outcome: 'MET', ruleIds: ['suspected-stone'] },
      { name: 'colon cancer staging', answers: { indication: 'cancer', suspectedCondition: undefined, specificFindings: undefined }, facts: { diagnosisCodes: ['C18.9'] }, outcome: 'MET', ruleIds: ['cancer-staging'] },
      { name: 'cancer follow-up without a cancer code', answers: { indication: 'cancer', suspectedCondition: undefined, specificFindings: undefined }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
      { name: 'mass on examination', answers: { indication: 'mass', suspectedCondition: undefined, specificFindings: undefined }, outcome: 'MET', ruleIds: ['mass'] },
      { name: 'other reason', answers: { indication: 'other', suspectedCondition: undefined, specificFindings: undefined }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
    ],
  },
  'IMG-MPI v1': {
    base: { knownCad: false, symptoms: 'typical', pretestProbability: 'intermediate', canExercise: false, ecgReadable: true },
    cases: [
      { name: 'typical angina, cannot exercise', outcome: 'MET', ruleIds: ['cannot-exercise-or-ecg-unreadable'] },
      { name: 'atypical pain, high likelihood, unreadable ECG', answers: { symptoms: 'atypical', pretestProbability: 'high', canExercise: true, ecgReadable: false }, outcome: 'MET', ruleIds: ['cannot-exercise-or-ecg-unreadable'] },
      { name: 'last stress test exactly 12 months ago', answers: { monthsSinceLastStressTest: 12 }, outcome: 'MET', ruleIds: ['cannot-exercise-or-ecg-unreadable'] },
      { name: 'last stress test 6 months ago', answers: { monthsSinceLastStressTest: 6 }, outcome: 'NEEDS_REVIEW', ruleIds: ['recent-stress-test'] },
      { name: 'known CAD, new symptoms', answers: { knownCad: true, newOrWorseSymptoms: true, symptoms: undefined, pretestProbability: undefined }, outcome: 'MET', ruleIds: ['known-cad-new-symptoms'] },
      { name: 'known CAD, new symptoms, recent test', answers: { knownCad: true, newOrWorseSymptoms: true, symptoms: undefined, pretestProbability: undefined, monthsSinceLastStressTest: 3 }, outcome: 'MET', ruleIds: ['known-cad-new-symptoms'] },
      { name: 'known CAD, stable', answers: { knownCad: true, newOrWorseSymptoms: false, symptoms: undefined, pretestProbability: undefined }, outcome: 'NEEDS_REVIEW', ruleIds: ['known-cad-stable'] },
      { name: 'known CAD, stable, recent test: both reported', answers: { knownCad: true, newOrWorseSymptoms: false, symptoms: undefined, pretestProbability: undefined, monthsSinceLastStressTest: 8 }, outcome: 'NEEDS_REVIEW', ruleIds: ['known-cad-stable', 'recent-stress-test'] },
      { name: 'screening without symptoms', answers: { symptoms: 'none', pretestProbability: 'low' }, outcome: 'NOT_MET', ruleIds: ['no-symptoms-screening'] },
      { name: 'screening without symptoms, recent test', answers: { symptoms: 'none', monthsSinceLastStressTest: 2 }, outcome: 'NOT_MET', ruleIds: ['no-symptoms-screening'] },
      { name: 'can exercise, readable ECG', answers: { canExercise: true }, outcome: 'NOT_MET', ruleIds: ['exercise-ecg-first'] },
      { name: 'low likelihood', answers: { symptoms: 'atypical', pretestProbability: 'low' }, outcome: 'NOT_MET', ruleIds: ['low-likelihood'] },
      { name: 'high likelihood, can exercise, readable ECG', answers: { pretestProbability: 'high', canExercise: true }, outcome: 'NEEDS_REVIEW', ruleIds: OTHERWISE },
    ],
  },
  'REH-PT-INITIAL v1': rehabInitial(24),
  'REH-OT-INITIAL v1': rehabInitial(24),
  'REH-SPEECH-INITIAL v1': rehabInitial(16),
  'REH-PT-CONTINUED v1': rehabContinued({ maxUnits: 24, maxVisits: 36, reportDays: 30 }),
  'REH-OT-CONTINUED v1': rehabContinued({ maxUnits: 24, maxVisits: 36, reportDays: 30 }),
  'REH-SPEECH-CONTINUED v1': rehabContinued({ maxUnits: 16, maxVisits: 36, reportDays: 30 }),
  'REH-PT-CONTINUED-NEBHP v1': rehabContinued({ maxUnits: 12, maxVisits: 24, reportDays: 14, nebhp: true }),
};

function factsFor(g: GuidelineDocument, table: Table, c: Case): ExamFacts {
  return {
    diagnosisCodes: [],
    memberAgeYears: 45,
    urgency: 'STANDARD',
    requestedUnits: 1,
    // A date on which the version is in force.
    dateOfService: g.effectiveFrom > '2026-03-02' ? g.effectiveFrom : '2026-03-02',
    ...table.facts,
    ...c.facts,
    answers: answersOf(table.base, c.answers),
  };
}

test('every guideline has a case table, and every table a guideline', () => {
  expect(Object.keys(TABLES).sort()).toEqual(ALL.map(key).sort());
});

describe.each(Object.entries(TABLES))('%s', (k, table) => {
  const g = ALL.find((x) => key(x) === k);
  const cases = table.cases.map((c) => [c.name, c] as const);

  test.each(cases)('%s', async (_name, c) => {
    const facts = factsFor(g!, table, c);
    expect(answerProblems(g!, facts.answers, facts.dateOfService)).toEqual([]);
    const r = await evaluateGuideline(g!, facts);
    expect({ outcome: r.outcome, ruleIds: r.ruleIds }).toEqual({ outcome: c.outcome, ruleIds: c.ruleIds });
    // The result records what decided it.
    expect([r.guidelineId, r.version]).toEqual([g!.id, g!.version]);
    expect(r.reasons).toHaveLength(r.ruleIds.length);
    for (const reason of r.reasons) expect(reason).not.toMatch(/[{}]/);
    if (g!.program === 'REHAB') {
      // MET means every unit requested; a partial is never MET.
      if (r.outcome === 'MET') expect(r.approvedUnits).toBe(facts.requestedUnits);
      expect(r.approvedUnits).toBeLessThanOrEqual(g!.maxUnits!);
      if (c.approvedUnits !== undefined) expect(r.approvedUnits).toBe(c.approvedUnits);
    } else {
      expect(r.approvedUnits).toBeUndefined();
    }
  });

  test('the cases take every rule and the otherwise branch', () => {
    const taken = new Set(table.cases.flatMap((c) => c.ruleIds));
    const branches = [...g!.rules.map((r) => r.id), OTHERWISE_RULE_ID];
    expect(branches.filter((b) => !taken.has(b))).toEqual([]);
    expect([...taken].filter((t) => !branches.includes(t))).toEqual([]);
  });
});

// ---- Answers ------------------------------------------------------------------------------

describe('answerProblems', () => {
  const spine = () => doc('IMG-LSPINE-MRI v1');
  const valid = genericSpine(false).base as ExamFacts['answers'];
  const problemsOf = (answers: Record<string, unknown>, g = spine(), dateOfService?: string) =>
    Object.fromEntries(answerProblems(g, answers, dateOfService).map((p) => [p.questionId, p.message]));

  test('valid answers have no problem', () => {
    expect(answerProblems(spine(), valid)).toEqual([]);
  });

  test('every missing required answer is listed, but not follow-ups whose question is not asked', () => {
    const problems = problemsOf({});
    expect(Object.keys(problems).sort()).toEqual(
      ['cancerHistory', 'caudaEquinaSigns', 'conservativeCare', 'fractureSuspected', 'infectionRisk', 'progressiveDeficit', 'symptomPattern'],
    );
    expect(problems.cancerHistory).toBe('Please answer: Does the patient have cancer, a history of cancer, or suspected cancer?');
  });

  test('askIf: a follow-up is required once asked, and refused when not asked', () => {
    expect(problemsOf({ ...valid, conservativeCareWeeks: undefined })).toEqual({
      conservativeCareWeeks: 'Please answer: How many weeks of conservative care has the patient completed?',
    });
    expect(problemsOf({ ...valid, conservativeCare: false, conservativeCareWeeks: undefined })).toEqual({});
    expect(problemsOf({ ...valid, conservativeCare: false })).toEqual({
      conservativeCareWeeks: expect.stringContaining('it is asked only when "Has the patient had conservative care'),
    });
    expect(problemsOf({ ...valid, conservativeCare: false }).conservativeCareWeeks).toMatch(/ is Yes\.$/);
  });

  test('wrong types', () => {
    expect(problemsOf({ ...valid, cancerHistory: 'yes', conservativeCareWeeks: '8' })).toEqual({
      cancerHistory: expect.stringMatching(/Please answer Yes or No\.$/),
      conservativeCareWeeks: expect.stringMatching(/Please enter a number\.$/),
    });
  });

  test('out of range', () => {
    expect(problemsOf({ ...valid, conservativeCareWeeks: -1 }).conservativeCareWeeks).toMatch(/enter a number from 0 to 520 weeks\.$/);
    expect(problemsOf({ ...valid, conservativeCareWeeks: 521 }).conservativeCareWeeks).toMatch(/from 0 to 520 weeks/);
    expect(problemsOf({ ...valid, conservativeCareWeeks: Number.NaN }).conservativeCareWeeks).toMatch(/enter a number\.$/);
  });

  test('unknown choice, listing the choices by their labels', () => {
    expect(problemsOf({ ...valid, symptomPattern: 'neck' }).symptomPattern).toMatch(
      /choose one of: Leg pain, numbness or weakness following a nerve \(sciatica\); .*; Low back pain without leg symptoms\.$/,
    );
  });

  test('impossible and badly written dates, and dates after the date of service', () => {
    const pt = doc('REH-PT-CONTINUED v1');
    const base = rehabContinued({ maxUnits: 24, maxVisits: 36, reportDays: 30 }).base;
    expect(problemsOf({ ...base, progressReportDate: '2026-02-30' }, pt).progressReportDate).toMatch(/enter a real date as YYYY-MM-DD\.$/);
    expect(problemsOf({ ...base, progressReportDate: '02/20/2026' }, pt).progressReportDate).toMatch(/real date/);
    expect(problemsOf({ ...base, progressReportDate: '2026-03-03' }, pt, '2026-03-02').progressReportDate).toMatch(
      /after the date of service \(2026-03-02\)/,
    );
    expect(problemsOf({ ...base, progressReportDate: '2026-03-02' }, pt, '2026-03-02')).toEqual({});
  });

  test('unknown question ids; optional questions may stay blank', () => {
    expect(problemsOf({ ...valid, weeksOfYoga: 3 })).toEqual({ weeksOfYoga: 'This guideline has no such question.' });
    const mpi = doc('IMG-MPI v1');
    const answers = TABLES['IMG-MPI v1']!.base;
    expect(problemsOf(answers, mpi)).toEqual({});
    expect(problemsOf({ ...answers, monthsSinceLastStressTest: '' }, mpi)).toEqual({});
  });

  test('evaluateGuideline refuses invalid answers and facts, listing them', async () => {
    const facts: ExamFacts = { answers: { ...valid, symptomPattern: 'neck' }, diagnosisCodes: [], memberAgeYears: 40, urgency: 'STANDARD', requestedUnits: 0, dateOfService: '2026-02-30' };
    const error = await evaluateGuideline(spine(), facts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidAnswersError);
    expect((error as InvalidAnswersError).problems.map((p) => p.questionId).sort()).toEqual(['dateOfService', 'requestedUnits', 'symptomPattern']);
  });
});

// ---- Selection ----------------------------------------------------------------------------

describe('selectGuideline', () => {
  const pick = (procedureGroup: string, healthPlanId: string, dateOfService: string, all = ALL) => {
    const g = selectGuideline(all, { procedureGroup, healthPlanId, dateOfService });
    return g && key(g);
  };

  test('a plan-specific guideline beats the generic one; other plans get the generic one', () => {
    expect(pick('LUMBAR_SPINE_MRI', 'NEBHP', '2026-03-02')).toBe('IMG-LSPINE-MRI-NEBHP v1');
    expect(pick('PT_CONTINUED', 'NEBHP', '2026-03-02')).toBe('REH-PT-CONTINUED-NEBHP v1');
    expect(pick('PT_CONTINUED', 'SBMP', '2026-03-02')).toBe('REH-PT-CONTINUED v1');
    expect(pick('PT_INITIAL', 'NEBHP', '2026-03-02')).toBe('REH-PT-INITIAL v1');
  });

  test('the version in force on the date of service', () => {
    expect(pick('LUMBAR_SPINE_MRI', 'GLCH', '2025-01-01')).toBe('IMG-LSPINE-MRI v1');
    expect(pick('LUMBAR_SPINE_MRI', 'GLCH', '2026-06-30')).toBe('IMG-LSPINE-MRI v1');
    expect(pick('LUMBAR_SPINE_MRI', 'GLCH', '2026-07-01')).toBe('IMG-LSPINE-MRI v2');
    expect(pick('LUMBAR_SPINE_MRI', 'PCSA', '2031-12-31')).toBe('IMG-LSPINE-MRI v2');
  });

  test('none before effectiveFrom, none for an unknown group', () => {
    expect(pick('LUMBAR_SPINE_MRI', 'GLCH', '2024-12-31')).toBeUndefined();
    expect(pick('LUMBAR_SPINE_MRI', 'NEBHP', '2024-12-31')).toBeUndefined();
    expect(pick('SHOULDER_MRI', 'GLCH', '2026-03-02')).toBeUndefined();
  });

  test('the highest version among those in force; a plan falls back to generic outside its own dates', () => {
    const generic = doc('IMG-KNEE-MRI v1');
    const v2 = { ...generic, version: 2, effectiveFrom: '2026-01-01' };
    const planOwn = { ...generic, id: 'IMG-KNEE-MRI-MWEP', healthPlanIds: ['MWEP'], effectiveFrom: '2026-05-01' };
    const all = [generic, v2, planOwn];
    expect(pick('KNEE_MRI', 'MWEP', '2026-03-02', all)).toBe('IMG-KNEE-MRI v2');
    expect(pick('KNEE_MRI', 'MWEP', '2026-05-01', all)).toBe('IMG-KNEE-MRI-MWEP v1');
    expect(pick('KNEE_MRI', 'GLCH', '2025-06-01', all)).toBe('IMG-KNEE-MRI v1');
  });

  test('guidelineSetProblems: overlapping versions, duplicates, two guidelines for one scope', () => {
    const g = doc('IMG-KNEE-MRI v1');
    expect(guidelineSetProblems([g, { ...g, version: 2 }])).toEqual(['IMG-KNEE-MRI v1: its dates overlap v2']);
    expect(guidelineSetProblems([g, { ...g }])).toContain('IMG-KNEE-MRI v1: two documents with this id and version');
    expect(guidelineSetProblems([g, { ...g, id: 'IMG-KNEE-MRI-B' }])).toEqual(['IMG-KNEE-MRI-B: IMG-KNEE-MRI already covers KNEE_MRI (generic)']);
  });
});

// ---- Parsing errors -----------------------------------------------------------------------

describe('parseGuideline reports every problem of a bad file', () => {
  // A small document of our own, so these tests do not move when clinical data changes.
  const SAMPLE = {
    id: 'IMG-SAMPLE',
    version: 1,
    title: 'Sample',
    program: 'IMAGING',
    procedureGroup: 'KNEE_MRI',
    healthPlanIds: null,
    effectiveFrom: '2025-01-01',
    effectiveTo: null,
    sources: ['none'],
    questions: [
      { id: 'injury', text: 'Injury?', help: 'h', type: 'yes_no', required: true },
      { id: 'xrayDone', text: 'X-rays?', help: 'h', type: 'yes_no', required: true },
      { id: 'finding', text: 'Finding?', help: 'h', type: 'choice', required: true, choices: [{ value: 'normal', label: 'Normal' }, { value: 'arthritis', label: 'Arthritis' }], askIf: { questionId: 'xrayDone', equals: true } },
      { id: 'weeks', text: 'Weeks?', help: 'h', type: 'number', required: true, min: 0, max: 520, unit: 'weeks' },
    ],
    rules: [
      { id: 'injury', priority: 50, outcome: 'MET', reason: 'r', conditions: { any: [{ fact: 'injury', operator: 'equal', value: true }, { fact: 'diagnosisCodes', operator: 'diagnosisIn', value: ['S83'] }] } },
      { id: 'xray-first', priority: 40, outcome: 'NOT_MET', reason: 'r', conditions: { all: [{ fact: 'xrayDone', operator: 'equal', value: false }] } },
      { id: 'arthritis', priority: 30, outcome: 'NOT_MET', reason: 'r', conditions: { all: [{ fact: 'finding', operator: 'equal', value: 'arthritis' }] } },
      { id: 'six-weeks', priority: 10, outcome: 'MET', reason: 'r', conditions: { all: [{ fact: 'finding', operator: 'in', value: ['normal'] }, { fact: 'weeks', operator: 'greaterThanInclusive', value: 6 }] } },
    ],
    otherwise: { outcome: 'NEEDS_REVIEW', reason: 'r' },
  };
  // `any` lets a test write what the schema refuses.
  const sample = () => structuredClone(SAMPLE) as Record<string, any>;
  const problems = (json: unknown): string[] => {
    try {
      parseGuideline(json, 'bad.json');
    } catch (e) {
      expect(e).toBeInstanceOf(GuidelineDataError);
      expect((e as Error).message).toMatch(/^bad\.json is not a valid guideline:/);
      return (e as GuidelineDataError).problems;
    }
    throw new Error('parsed');
  };

  test('the sample itself is valid', () => {
    expect(parseGuideline(sample()).id).toBe('IMG-SAMPLE');
  });

  test('structure: all problems with their places', () => {
    const bad = sample();
    bad.version = 0;
    bad.effectiveFrom = '2026-13-01';
    bad.questions[0].type = 'text';
    bad.rules[0].conditions.any[0].operator = 'notEqual';
    bad.rules[1].conditions = { all: [{ fact: 'xrayDone' }] };
    bad.rules[2].conditions = { all: [{ fact: 'finding', operator: 'equal', value: 'arthritis', any: [] }] };
    bad.extra = true;
    expect(problems(bad)).toEqual([
      expect.stringMatching(/^version: /),
      'effectiveFrom: must be a real date written YYYY-MM-DD',
      expect.stringMatching(/^questions\.0\.type: /),
      expect.stringMatching(/^rules\.0\.conditions\.any\.0\.operator: /),
      'rules.1.conditions.all.0: the condition on "xrayDone" needs "operator" and "value"',
      expect.stringMatching(/^rules\.2\.conditions\.all\.0\.any: /),
      'rules.2.conditions.all.0: a condition has exactly one of "all", "any" or "fact"',
      expect.stringMatching(/^\(document\): .*extra/),
    ]);
  });

  test('meaning: unknown facts and choices, precedence, units, askIf, unused questions', () => {
    const bad = sample();
    bad.maxUnits = 10;
    bad.questions[2].askIf = { questionId: 'weeks', equals: 3 };
    bad.questions[3].askIf = { questionId: 'finding', equals: 'torn' };
    bad.rules[0].conditions.any[0].fact = 'injured';
    bad.rules[0].conditions.any[1].value = ['S83', 'knee'];
    bad.rules[1].priority = 60;
    bad.rules[2].approvedUnits = 'maxUnits';
    bad.rules[3].conditions.all[0].value = ['normal', 'torn'];
    bad.rules[3].conditions.all[1] = { fact: 'weeks', operator: 'in', value: ['6'] };
    expect(problems(bad)).toEqual([
      'maxUnits: is for REHAB only',
      'questions[2] "finding": askIf names "weeks", which is not an earlier question',
      'questions[3] "weeks": askIf: "torn" cannot answer "finding" (choose one of: Normal; Arthritis)',
      'rules[0] "injury": condition on "injured": no question or built-in fact has this name',
      'rules[0] "injury": condition on "diagnosisCodes": "knee" is not an ICD-10-CM code prefix (e.g. G43) or range (e.g. C00-C96)',
      'rules[1] "xray-first": rules must be listed from the highest priority down',
      'rules[2] "arthritis": approvedUnits goes with REHAB NEEDS_REVIEW rules only (a partial approval is a clinician\'s call)',
      'rules[3] "six-weeks": condition on "finding": "torn" not among the choices',
      'rules[3] "six-weeks": condition on "weeks": use a number comparison with a number',
      'question "injury": no rule uses it',
    ]);
  });

  test('a tier has one outcome; dates compare through daysBeforeService; maxUnits is rehab only', () => {
    const bad = sample();
    bad.rules[1].priority = 50;
    bad.rules[2].conditions.all.push({ fact: 'dateOfService', operator: 'greaterThan', value: 3 });
    bad.rules[3].conditions.all.push({ fact: 'requestedUnits', operator: 'lessThanInclusive', value: { fact: 'maxUnits' } });
    expect(problems(bad)).toEqual([
      'rules[1] "xray-first": rules of priority 50 must share one outcome (and approvedUnits)',
      'rules[2] "arthritis": condition on "dateOfService": compare dates through daysBeforeService',
      'rules[3] "six-weeks": condition on "requestedUnits": maxUnits is for REHAB only',
    ]);
  });
});
