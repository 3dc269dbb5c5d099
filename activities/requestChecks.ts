import type { PrismaClient } from '../common/db';
import { codeKey } from '../domain/codes';
import { isCalendarDate, type DraftContent } from '../domain/draft';
import {
  answerProblems,
  evaluateGuideline,
  parseGuideline,
  selectGuideline,
  type GuidelineDocument,
  type GuidelineResult,
} from '../domain/guidelines';
import { npiValid } from '../domain/npi';
import type { Code, HealthPlan, Member, Provider } from '../generated/prisma/client';
import { formatTin } from '../domain/registration';

/**
 * The checks a request must pass before it can be submitted, against the reference data: every
 * problem at once, each with its field and in words an office understands. Used by the draft
 * review and preview (API) and by submission (the case workflow's activity), so they agree.
 */
export interface Problem {
  field: string;
  message: string;
}

export interface CheckedExam {
  index: number;
  procedure?: Pick<Code, 'code' | 'description' | 'program' | 'procedureGroup' | 'modality' | 'unit'>;
  diagnoses: { code: string; display: string; description: string }[];
  guideline?: { id: string; version: number; title: string; questions: GuidelineDocument['questions'] };
  /** Why no guideline applies (then a clinician reviews the exam). */
  noGuideline?: string;
  servicingProvider?: { npi: string; name: string; inNetwork: boolean };
}

export interface RequestReview {
  ready: boolean;
  problems: Problem[];
  member?: { memberId: string; name: string; birthDate: string; healthPlan: { id: string; name: string }; state: string };
  orderingProvider?: { npi: string; name: string; tin: string };
  exams: CheckedExam[];
}

const PROGRAM_WORDS = { IMAGING: 'imaging', REHAB: 'rehabilitation (physical, occupational and speech therapy)' } as const;
const day = (d: Date) => d.toISOString().slice(0, 10);
const longDate = (s: string) => new Date(`${s}T00:00:00Z`).toLocaleDateString('en-US', { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' });
const ageOn = (birth: Date, on: string) => {
  const d = new Date(`${on}T00:00:00Z`);
  let age = d.getUTCFullYear() - birth.getUTCFullYear();
  if (d.getUTCMonth() < birth.getUTCMonth() || (d.getUTCMonth() === birth.getUTCMonth() && d.getUTCDate() < birth.getUTCDate())) age--;
  return age;
};

/**
 * Reference data (codes, providers and their networks, plan programs, guidelines) changes only
 * when the seed or a loader runs, and every check of a request reads it: each process keeps what
 * it read for REFERENCE_TTL_MS, so a change is seen within a minute. (Parsing a guideline's
 * document, which is validated, was the largest single cost of a check.) People's data (members,
 * a user's TINs and plans) is always read fresh.
 */
const REFERENCE_TTL_MS = 60_000;
const referenceCaches = new WeakMap<PrismaClient, Map<string, { expires: number; value: Promise<unknown> }>>();

function reference<T>(prisma: PrismaClient, key: string, load: () => Promise<T>): Promise<T> {
  let cache = referenceCaches.get(prisma);
  if (!cache) referenceCaches.set(prisma, (cache = new Map()));
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expires > now) return hit.value as Promise<T>;
  if (cache.size > 5_000) cache.clear();
  const value = load();
  cache.set(key, { expires: now + REFERENCE_TTL_MS, value });
  // A failed read is not kept: the next request asks the database again.
  value.catch(() => cache!.delete(key));
  return value;
}

const keyOf = (values: string[]) => [...new Set(values)].sort().join(',');

/** A provider of the directory, by NPI (reference data: cached as above). */
export const providerByNpi = (prisma: PrismaClient, npi: string): Promise<Provider | null> =>
  reference(prisma, `provider:${npi}`, () => prisma.provider.findUnique({ where: { npi } }));

/** A health plan's settings (reference data: cached as above). */
export const planById = (prisma: PrismaClient, id: string): Promise<HealthPlan | null> =>
  reference(prisma, `plan:${id}`, () => prisma.healthPlan.findUnique({ where: { id } }));

/** The user's health plans and TINs, and the member asked for (people's data, read fresh), in one query. */
async function peopleOf(prisma: PrismaClient, userId: string, memberId: string | undefined): Promise<{ plans: string[]; tins: string[]; member: Member | null }> {
  const [row] = await prisma.$queryRaw<[{ plans: string[]; tins: string[]; member: (Omit<Member, 'birthDate' | 'eligibleFrom' | 'eligibleTo'> & Record<'birthDate' | 'eligibleFrom' | 'eligibleTo', string | null>) | null }]>`
    SELECT ARRAY(SELECT "planId" FROM "UserHealthPlan" WHERE "userId" = ${userId}::uuid) AS "plans",
           ARRAY(SELECT "tin" FROM "UserTin" WHERE "userId" = ${userId}::uuid) AS "tins",
           (SELECT row_to_json(m) FROM "Member" m WHERE m."id" = ${memberId ?? null}) AS "member"`;
  const { member: m, ...access } = row!;
  // A date column comes as YYYY-MM-DD in JSON: midnight UTC, as Prisma reads it.
  const date = (d: string | null) => (d ? new Date(`${d}T00:00:00Z`) : null);
  return { ...access, member: m ? { ...m, birthDate: date(m.birthDate)!, eligibleFrom: date(m.eligibleFrom)!, eligibleTo: date(m.eligibleTo) } : null };
}

export async function loadGuidelines(prisma: PrismaClient, procedureGroups: string[]): Promise<GuidelineDocument[]> {
  if (!procedureGroups.length) return [];
  return reference(prisma, `guidelines:${keyOf(procedureGroups)}`, async () => {
    const rows = await prisma.guideline.findMany({ where: { procedureGroup: { in: procedureGroups } } });
    return rows.map((r) => parseGuideline(r.document, `${r.id} v${r.version}`));
  });
}

export async function reviewRequest(
  prisma: PrismaClient,
  user: { id: string },
  d: DraftContent,
  today: string = day(new Date()),
): Promise<RequestReview> {
  const problems: Problem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const exams = d.exams ?? [];

  // When: a real date, today or later.
  const date = d.dateOfService && isCalendarDate(d.dateOfService) ? d.dateOfService : undefined;
  if (!d.dateOfService) add('dateOfService', 'Enter the date of service (YYYY-MM-DD)');
  else if (!date) add('dateOfService', `"${d.dateOfService}" is not a date: write it as YYYY-MM-DD, for example 2026-12-01`);
  else if (date < today) add('dateOfService', `The date of service ${longDate(date)} is in the past: requests are made before the service`);
  if (!d.urgency) add('urgency', 'Choose the urgency: STANDARD, or URGENT when waiting could seriously harm the patient');

  // Who: a member of one of the user's plans, covered on the date.
  const access = await peopleOf(prisma, user.id, d.memberId?.trim().toUpperCase() || undefined);
  const userPlans = access.plans;
  let member: (Member & { plan: HealthPlan }) | null = null;
  if (!d.memberId?.trim()) add('memberId', "Enter the member id from the member's card");
  else {
    // The member is people's data, read each time; the plan is reference data.
    const row = access.member;
    const plan = row && (await planById(prisma, row.planId));
    member = row && plan ? { ...row, plan } : null;
    if (!member || !userPlans.includes(member.planId)) {
      add('memberId', `No member ${d.memberId.trim()} in your health plans: check the id on the member's card`);
      member = null;
    } else if (date) {
      if (member.eligibleFrom > new Date(`${date}T00:00:00Z`)) {
        add('memberId', `${member.firstName} ${member.lastName}'s coverage starts on ${longDate(day(member.eligibleFrom))}, after the date of service ${longDate(date)}`);
      } else if (member.eligibleTo && member.eligibleTo < new Date(`${date}T00:00:00Z`)) {
        add('memberId', `${member.firstName} ${member.lastName}'s coverage ended on ${longDate(day(member.eligibleTo))}, before the date of service ${longDate(date)}`);
      }
    }
  }

  // The ordering provider: a physician of one of the user's TINs.
  let ordering: Provider | null = null;
  if (!d.orderingProviderNpi?.trim()) add('orderingProviderNpi', "Enter the ordering physician's NPI");
  else if (!npiValid(d.orderingProviderNpi.trim())) {
    add('orderingProviderNpi', `${d.orderingProviderNpi} is not a valid NPI: an NPI has 10 digits and its last digit is a check digit`);
  } else {
    const npi = d.orderingProviderNpi.trim();
    ordering = await providerByNpi(prisma, npi);
    const tins = access.tins;
    if (!ordering || ordering.kind !== 'ORDERING_PHYSICIAN') {
      add('orderingProviderNpi', `NPI ${d.orderingProviderNpi} is not an ordering physician in the provider directory`);
      ordering = null;
    } else if (!ordering.tin || !tins.includes(ordering.tin)) {
      add('orderingProviderNpi', `${ordering.name} is not with one of your Tax IDs (${tins.map(formatTin).join(', ')}): only your practice's physicians can order`);
      ordering = null;
    }
  }

  // What: procedures of a program the plan runs in the member's state on the date, real billable diagnoses.
  if (!exams.length) add('exams', 'Add at least one exam');
  const procedureKeys = exams.map((e) => (e.procedureCode ? codeKey(e.procedureCode) : ''));
  const codes = (system: 'CPT' | 'ICD10CM', keys: string[]) =>
    keys.length ? reference(prisma, `codes:${system}:${keyOf(keys)}`, () => prisma.code.findMany({ where: { system, code: { in: keys } } })) : Promise.resolve([]);
  const procedures = new Map((await codes('CPT', procedureKeys.filter(Boolean))).map((c) => [c.code, c]));
  const diagnosisKeys = exams.flatMap((e) => (e.diagnosisCodes ?? []).map(codeKey));
  const diagnoses = new Map((await codes('ICD10CM', diagnosisKeys)).map((c) => [c.code, c]));
  const guidelines = await loadGuidelines(prisma, [...new Set([...procedures.values()].map((p) => p.procedureGroup).filter((g): g is string => !!g))]);
  const planPrograms = member
    ? await reference(prisma, `programs:${member.planId}:${member.state}`, () => prisma.planProgram.findMany({ where: { planId: member!.planId, state: member!.state } }))
    : [];
  const servicingNpis = exams.map((e) => e.servicingProviderNpi?.trim()).filter((n): n is string => !!n);
  const facilities = new Map(
    (servicingNpis.length
      ? await reference(prisma, `facilities:${keyOf(servicingNpis)}`, () => prisma.provider.findMany({ where: { npi: { in: servicingNpis } }, include: { networks: true } }))
      : []
    ).map((p) => [p.npi, p]),
  );

  const checked: CheckedExam[] = [];
  const seen = new Map<string, number>();
  for (const [i, e] of exams.entries()) {
    const at = (f: string) => `exams.${i}.${f}`;
    const exam: CheckedExam = { index: i, diagnoses: [] };
    checked.push(exam);
    const key = procedureKeys[i]!;
    const procedure = key ? procedures.get(key) : undefined;
    if (!key) add(at('procedureCode'), 'Choose the procedure (exam) code');
    else if (!procedure || !procedure.program) {
      add(at('procedureCode'), `${e.procedureCode} is not a procedure of the imaging or rehabilitation programs: search the codes by name`);
    } else {
      exam.procedure = procedure;
      const first = seen.get(key);
      if (first !== undefined) add(at('procedureCode'), `${key} is already exam ${first + 1} of this request: list each procedure once`);
      else seen.set(key, i);
      if (member && date) {
        const runs = planPrograms.some(
          (r) => r.program === procedure.program && day(r.startsOn) <= date && (!r.endsOn || day(r.endsOn) >= date),
        );
        if (!runs) {
          const later = planPrograms
            .filter((r) => r.program === procedure.program && day(r.startsOn) > date)
            .sort((a, b) => a.startsOn.getTime() - b.startsOn.getTime())[0];
          add(
            at('procedureCode'),
            `${member.plan.name} does not review ${PROGRAM_WORDS[procedure.program]} in ${member.state} on ${longDate(date)}` +
              (later ? `: the program starts there on ${longDate(day(later.startsOn))}` : ': no prior authorization is handled here for it'),
          );
        }
      }
    }

    // Diagnoses: at least one; each a real, billable ICD-10-CM code.
    const codes = e.diagnosisCodes ?? [];
    if (!codes.length) add(at('diagnosisCodes'), 'Add at least one diagnosis (ICD-10-CM) code');
    const seenDx = new Set<string>();
    for (const [j, raw] of codes.entries()) {
      const k = codeKey(raw);
      const dx = diagnoses.get(k);
      if (seenDx.has(k)) {
        add(at(`diagnosisCodes.${j}`), `${raw} is listed twice`);
        continue;
      }
      seenDx.add(k);
      if (!dx) add(at(`diagnosisCodes.${j}`), `${raw.trim()} is not an ICD-10-CM code: search the codes by words or check for a typo`);
      else if (!dx.billable) {
        const specific = await prisma.code.findMany({
          where: { system: 'ICD10CM', billable: true, code: { startsWith: dx.code } },
          orderBy: { code: 'asc' },
          take: 4,
        });
        add(
          at(`diagnosisCodes.${j}`),
          `${dx.display} (${dx.description}) is a category, not a billable code: choose a more specific one` +
            (specific.length ? `, such as ${specific.map((s) => s.display).join(', ')}` : ''),
        );
      } else exam.diagnoses.push({ code: dx.code, display: dx.display, description: dx.description });
    }

    // Rehabilitation is requested in 15-minute units.
    if (procedure?.program === 'REHAB' && e.requestedUnits === undefined) {
      add(at('requestedUnits'), 'Enter the number of 15-minute treatment units requested');
    }

    // The guideline for the procedure, the plan and the date, and its answers.
    if (procedure?.procedureGroup && member && date) {
      const g = selectGuideline(guidelines, { procedureGroup: procedure.procedureGroup, healthPlanId: member.planId, dateOfService: date });
      if (g) {
        exam.guideline = { id: g.id, version: g.version, title: g.title, questions: g.questions };
        for (const p of answerProblems(g, e.answers ?? {}, date)) add(at(`answers.${p.questionId}`), p.message);
      } else exam.noGuideline = 'No guideline applies on this date: a nurse reviews the exam';
    } else if (procedure && !procedure.procedureGroup) {
      exam.noGuideline = 'This procedure has no automatic criteria: a nurse reviews it';
    }

    // The servicing provider, if chosen already: a facility that performs it, in network.
    const npi = e.servicingProviderNpi?.trim();
    if (npi) {
      const f = facilities.get(npi);
      if (!npiValid(npi)) add(at('servicingProviderNpi'), `${npi} is not a valid NPI: an NPI has 10 digits and its last digit is a check digit`);
      else if (!f || f.kind !== 'SERVICING_FACILITY') add(at('servicingProviderNpi'), `NPI ${npi} is not a servicing facility in the provider directory`);
      else {
        if (procedure?.modality && !f.services.includes(procedure.modality)) {
          add(at('servicingProviderNpi'), `${f.name} does not perform ${procedure.modality.replace('_', ' ').toLowerCase()} services: choose another facility`);
        }
        const network = member ? f.networks.find((n) => n.planId === member!.planId) : undefined;
        if (member && !network?.inNetwork) add(at('servicingProviderNpi'), `${f.name} is not in network for ${member.plan.name}: choose an in-network facility`);
        exam.servicingProvider = { npi: f.npi, name: f.name, inNetwork: !!network?.inNetwork };
      }
    }
  }

  return {
    ready: problems.length === 0,
    problems,
    ...(member
      ? {
          member: {
            memberId: member.id,
            name: `${member.firstName} ${member.lastName}`,
            birthDate: day(member.birthDate),
            healthPlan: { id: member.plan.id, name: member.plan.name },
            state: member.state,
          },
        }
      : {}),
    ...(ordering ? { orderingProvider: { npi: ordering.npi, name: ordering.name, tin: formatTin(ordering.tin!) } } : {}),
    exams: checked,
  };
}

export interface ExamPreview {
  index: number;
  procedureCode: string;
  outcome: 'MET' | 'NOT_MET' | 'NEEDS_REVIEW';
  /** What submitting would do, in plain words. */
  whatHappens: string;
  reasons: string[];
  guideline?: { id: string; version: number };
  ruleIds: string[];
  approvedUnits?: number;
}

/** Evaluates each exam of a ready request against its guideline (nothing is created). */
export async function evaluateRequest(prisma: PrismaClient, d: DraftContent, review: RequestReview): Promise<ExamPreview[]> {
  if (!review.ready || !review.member) throw new Error('evaluateRequest needs a request without problems');
  const birthDate = new Date(`${review.member.birthDate}T00:00:00Z`);
  const date = d.dateOfService!;
  const guidelines = await loadGuidelines(prisma, review.exams.map((e) => e.procedure?.procedureGroup).filter((g): g is string => !!g));
  const out: ExamPreview[] = [];
  for (const exam of review.exams) {
    const e = d.exams![exam.index]!;
    const procedure = exam.procedure!;
    const g = exam.guideline && guidelines.find((x) => x.id === exam.guideline!.id && x.version === exam.guideline!.version);
    let result: GuidelineResult | undefined;
    if (g) {
      result = await evaluateGuideline(g, {
        answers: (e.answers ?? {}) as Record<string, string | number | boolean>,
        diagnosisCodes: exam.diagnoses.map((x) => x.code),
        memberAgeYears: ageOn(birthDate, date),
        urgency: d.urgency!,
        requestedUnits: procedure.program === 'REHAB' ? e.requestedUnits! : 1,
        dateOfService: date,
      });
    }
    const outcome = result?.outcome ?? 'NEEDS_REVIEW';
    out.push({
      index: exam.index,
      procedureCode: procedure.code,
      outcome,
      whatHappens:
        outcome === 'MET'
          ? exam.servicingProvider
            ? 'Approved when you submit: the order number is issued at once'
            : 'Approved when you submit: the order number is issued as soon as you choose the servicing provider'
          : 'Pended for clinical review when you submit: a nurse reviews it, and you can add Additional Information',
      reasons: result?.reasons ?? [exam.noGuideline ?? 'A nurse reviews this exam'],
      ...(result ? { guideline: { id: result.guidelineId, version: result.version } } : {}),
      ruleIds: result?.ruleIds ?? [],
      ...(result?.approvedUnits !== undefined ? { approvedUnits: result.approvedUnits } : {}),
    });
  }
  return out;
}

