import { z } from 'zod';

/**
 * A prior-authorization request as an office prepares it. While a draft is edited any part may
 * be missing; the shape and sizes are checked on every save (a 400 otherwise), and everything
 * else (codes, member, provider, program, guideline answers) by the review, which lists every
 * problem at once.
 */
export const URGENCIES = ['STANDARD', 'URGENT'] as const;
export const MAX_EXAMS = 10;
export const MAX_DIAGNOSES = 12;

export { isCalendarDate } from './guidelines/types';

const text = (label: string, max: number) =>
  z.string({ error: `${label} must be text` }).max(max, `${label} must be at most ${max.toLocaleString('en-US')} characters`);

export const answerValueSchema = z.union([z.string().max(200, 'an answer must be at most 200 characters'), z.number().finite(), z.boolean()], {
  error: 'an answer must be yes/no (true or false), a number, a choice or a date (YYYY-MM-DD)',
});

export const examSchema = z.strictObject(
  {
    procedureCode: text('The procedure code', 10).optional(),
    diagnosisCodes: z
      .array(text('A diagnosis code', 10), { error: 'diagnosisCodes must be a list of ICD-10-CM codes' })
      .max(MAX_DIAGNOSES, `List at most ${MAX_DIAGNOSES} diagnosis codes per exam`)
      .optional(),
    symptoms: text('Symptoms', 1000).optional(),
    clinicalHistory: text('Clinical history', 2000).optional(),
    answers: z.record(z.string().max(80), answerValueSchema, { error: "answers must be an object of the guideline's question ids" }).optional(),
    requestedUnits: z
      .number({ error: 'requestedUnits must be a whole number of 15-minute units' })
      .int('requestedUnits must be a whole number of 15-minute units')
      .min(1, 'requestedUnits must be at least 1')
      .max(200, 'requestedUnits must be at most 200')
      .optional(),
    servicingProviderNpi: text('The servicing provider NPI', 10).optional(),
  },
  { error: 'Each exam must be an object' },
);

export const draftContentSchema = z.strictObject(
  {
    memberId: text('The member id', 20).optional(),
    orderingProviderNpi: text('The ordering provider NPI', 10).optional(),
    urgency: z.enum(URGENCIES, { error: 'urgency must be STANDARD or URGENT' }).optional(),
    dateOfService: text('The date of service', 10).optional(),
    exams: z.array(examSchema, { error: 'exams must be a list' }).max(MAX_EXAMS, `A request has at most ${MAX_EXAMS} exams`).optional(),
  },
  { error: 'The draft must be a JSON object' },
);

export type DraftContent = z.infer<typeof draftContentSchema>;
export type DraftExam = z.infer<typeof examSchema>;
