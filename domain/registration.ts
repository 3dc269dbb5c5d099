import { z } from 'zod';
import { COMMON_PASSWORDS } from './common-passwords';

/**
 * The provider registration request: what a provider (or office staff acting for one) sends to
 * open an account and apply for a program. Pure: no I/O, so the API, the workflows and the tests
 * share one definition.
 *
 * Every problem of a request is reported at once. zod skips a refinement once something before
 * it failed, so every rule that looks at more than one field is declared with `when: () => true`
 * and reads the (possibly partly invalid) value defensively; `registrationProblems` also re-runs
 * the cross-section rule on the raw input, so a password that contains the email name is
 * reported even when the rest of the request is broken.
 */

// ---- Fixed lists ----------------------------------------------------------------------------

export const PROVIDER_ROLES = ['ORDERING_PROVIDER', 'SERVICING_PROVIDER', 'OFFICE_STAFF'] as const;
export type ProviderRole = (typeof PROVIDER_ROLES)[number];

export const ROLE_LABELS: Readonly<Record<ProviderRole, string>> = {
  ORDERING_PROVIDER: 'Ordering provider',
  SERVICING_PROVIDER: 'Servicing provider or facility',
  OFFICE_STAFF: 'Office staff acting for a provider',
};

export interface SecurityQuestion {
  id: string;
  text: string;
}

export const SECURITY_QUESTIONS: readonly SecurityQuestion[] = [
  { id: 'first-car', text: 'What was the make and model of your first car?' },
  { id: 'birth-city', text: 'In what city were you born?' },
  { id: 'first-pet', text: 'What was the name of your first pet?' },
  { id: 'childhood-street', text: 'What street did you live on as a child?' },
  { id: 'elementary-school', text: 'What was the name of your elementary school?' },
  { id: 'mother-birth-city', text: 'In what city was your mother born?' },
  { id: 'childhood-friend', text: 'What was the first name of your childhood best friend?' },
  { id: 'first-job', text: 'What was the name of the company of your first job?' },
  { id: 'favorite-teacher', text: 'What was the last name of your favorite teacher?' },
  { id: 'parents-met', text: 'In what city did your parents meet?' },
];

export const SECURITY_ANSWERS_REQUIRED = 3;

/** The text of a security question, or undefined for an unknown id. */
export function securityQuestionText(id: string): string | undefined {
  return SECURITY_QUESTIONS.find((q) => q.id === id)?.text;
}

/** The version of the terms of service a registration must accept. */
export const TERMS_VERSION = '2026-11-01';

export const PROGRAMS = ['HEALTH_PLAN_UR'] as const;
export type Program = (typeof PROGRAMS)[number];

export const PROGRAM_LABELS: Readonly<Record<Program, string>> = {
  HEALTH_PLAN_UR: 'Health Plan Utilization Review',
};

/** USPS codes of the 50 states, DC and the inhabited territories. */
export const US_STATES = [
  'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY',
  'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND',
  'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY',
  'DC', 'PR', 'VI', 'GU', 'AS', 'MP',
] as const;
export type UsState = (typeof US_STATES)[number];

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
export const TINS_MAX = 20;
export const PLAN_IDS_MAX = 50;
export const MASKED_ANSWER = '••••';

// ---- Normalizers (exported: the API and password reset use them too) --------------------------

/** A US (NANP) phone number in E.164 ('+16175550100'), or undefined when it is not one. */
export function normalizeUsPhone(input: string): string | undefined {
  const s = input.normalize('NFKC').trim();
  if (!/^\+?[\d\s().-]+$/.test(s)) return undefined;
  let digits = s.replace(/\D/g, '');
  if (s.startsWith('+')) {
    if (!digits.startsWith('1')) return undefined; // another country's code
    digits = digits.slice(1);
  } else if (digits.length === 11 && digits.startsWith('1')) {
    digits = digits.slice(1);
  }
  // Area code and exchange both start with 2-9.
  if (!/^[2-9]\d{2}[2-9]\d{6}$/.test(digits)) return undefined;
  return `+1${digits}`;
}

/** '+16175550100' -> '(617) 555-0100'; anything else is returned unchanged. */
export function formatUsPhone(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

/** A taxpayer identification number as 9 digits, from '12-3456789' or '123456789'. */
export function normalizeTin(input: string): string | undefined {
  const m = /^(\d{2})-?(\d{7})$/.exec(input.normalize('NFKC').trim());
  return m ? `${m[1]}${m[2]}` : undefined;
}

/** '123456789' -> '12-3456789'. */
export function formatTin(tin: string): string {
  return /^\d{9}$/.test(tin) ? `${tin.slice(0, 2)}-${tin.slice(2)}` : tin;
}

/** A ZIP code as 'NNNNN' or 'NNNNN-NNNN'. */
export function normalizeZip(input: string): string | undefined {
  const m = /^(\d{5})(?:[-\s]?(\d{4}))?$/.exec(input.normalize('NFKC').trim());
  if (!m) return undefined;
  return m[2] ? `${m[1]}-${m[2]}` : m[1];
}

/** The form usernames are compared in (unique case-insensitively); the stored username keeps its case. */
export function usernameKey(username: string): string {
  return username.trim().toLowerCase();
}

/** Security answers are compared case- and space-insensitively: store and compare this form. */
export function normalizeSecurityAnswer(answer: string): string {
  return answer.normalize('NFKC').toLowerCase().replace(/\s+/gu, '');
}

// ---- Password rules --------------------------------------------------------------------------

const PASSPHRASE_HINT = 'choose a longer passphrase of three or four unrelated words';

export const PASSWORD_MESSAGES = {
  tooShort: `Use at least ${PASSWORD_MIN_LENGTH} characters; a passphrase of three or four unrelated words is long and easy to remember`,
  tooLong: `Use at most ${PASSWORD_MAX_LENGTH} characters`,
  repeated: `The password is one character (or a pair) repeated; ${PASSPHRASE_HINT}`,
  sequence: `The password is a keyboard, letter or number sequence (such as 123456 or qwerty); ${PASSPHRASE_HINT}`,
  common: `The password is a commonly used password or word, even with digits, symbols or look-alike characters added; ${PASSPHRASE_HINT}`,
  containsUsername: `The password must not contain your username; ${PASSPHRASE_HINT}`,
  containsEmail: `The password must not contain the name part of your email address; ${PASSPHRASE_HINT}`,
  mismatch: 'The password confirmation does not match the password; type the same password in both fields',
} as const;

export interface PasswordContext {
  username?: string;
  email?: string;
}

const COMMON = new Set(COMMON_PASSWORDS);

/** Runs of keys people type as a "password"; each is read forwards and backwards, wrapping round. */
const SEQUENCES = [
  '0123456789',
  'abcdefghijklmnopqrstuvwxyz',
  'qwertyuiopasdfghjklzxcvbnm',
  'qwertyuiop',
  'asdfghjkl',
  'zxcvbnm',
  '1q2w3e4r5t6y7u8i9o0p',
  'qazwsxedcrfvtgbyhnujmikolp',
  '!@#$%^&*()',
];

function codePoints(s: string): string[] {
  return [...s];
}

/** The shortest run of characters that `chars` is made of, repeated (all of `chars` when none). */
function repeatingUnit(chars: string[]): string[] {
  const n = chars.length;
  for (let p = 1; p <= n / 2; p++) {
    if (n % p === 0 && chars.every((c, i) => c === chars[i % p])) return chars.slice(0, p);
  }
  return chars;
}

function isSequence(chars: string[]): boolean {
  if (chars.length < 3) return false;
  return SEQUENCES.some((seq) => {
    const n = seq.length;
    const idx = chars.map((c) => seq.indexOf(c));
    if (idx.some((i) => i < 0)) return false;
    return [1, -1].some((step) =>
      idx.every((i, k) => k === 0 || (((i - idx[k - 1]! - step) % n) + n) % n === 0),
    );
  });
}

/**
 * Look-alike characters undone, with i, l and 1 folded together (a '1' may stand for either), so
 * 'p@ssw0rd' and '1etme1n' meet 'password' and 'letmein'. Applied to the list and candidates alike.
 */
function foldLookAlikes(s: string): string {
  const map: Record<string, string> = { '0': 'o', '3': 'e', '4': 'a', '5': 's', '@': 'a', $: 's', i: '1', l: '1' };
  return s.replace(/[0345@$il]/g, (c) => map[c] ?? c);
}

const COMMON_FOLDED = new Set(COMMON_PASSWORDS.map(foldLookAlikes));

/** How many of `chars`, from the start, are not letters (at most `cap`). */
function nonLetterRun(chars: string[], cap: number): number {
  let n = 0;
  while (n < chars.length && n < cap && !/\p{L}/u.test(chars[n]!)) n++;
  return n;
}

/**
 * Whether the (lowercased) password is a common password once leading/trailing digits and
 * symbols are stripped and look-alike characters undone. Every split of the leading and trailing
 * non-letter runs is tried, so a look-alike at the edge of the word ('@dmin', 'trustno1') is kept.
 */
function isCommon(lower: string): boolean {
  for (const base of new Set([lower, lower.replace(/\s+/gu, '')])) {
    const chars = codePoints(base);
    if (!chars.some((c) => /\p{L}/u.test(c))) {
      // No word to strip down to: only the whole password, without surrounding symbols.
      const core = base.replace(/^[^\p{N}]+|[^\p{N}]+$/gu, '');
      if ([base, core].some((c) => COMMON.has(c) || COMMON_FOLDED.has(foldLookAlikes(c)))) return true;
      continue;
    }
    const lead = nonLetterRun(chars, 16);
    const trail = nonLetterRun([...chars].reverse(), 16);
    for (let i = 0; i <= lead; i++) {
      for (let j = 0; j <= trail && i + j < chars.length; j++) {
        const core = chars.slice(i, chars.length - j).join('');
        if (COMMON.has(core) || COMMON_FOLDED.has(foldLookAlikes(core))) return true;
      }
    }
  }
  return false;
}

/** Rules on the password alone: length, repetition, sequences, common passwords. */
function intrinsicPasswordProblems(password: string): string[] {
  const problems: string[] = [];
  const chars = codePoints(password);
  if (chars.length < PASSWORD_MIN_LENGTH) problems.push(PASSWORD_MESSAGES.tooShort);
  if (chars.length > PASSWORD_MAX_LENGTH) problems.push(PASSWORD_MESSAGES.tooLong);
  const lower = password.normalize('NFKC').toLowerCase();
  const lowerChars = codePoints(lower);
  // 'qwertyqwerty' is judged like 'qwerty', 'abcabcabcabc' like 'abc'.
  const unit = repeatingUnit(lowerChars);
  const repeated = unit.length < lowerChars.length;
  if (repeated && unit.length <= 2) problems.push(PASSWORD_MESSAGES.repeated);
  else if (isSequence(lowerChars) || (repeated && isSequence(unit))) problems.push(PASSWORD_MESSAGES.sequence);
  else if (isCommon(lower) || (repeated && isCommon(unit.join('')))) problems.push(PASSWORD_MESSAGES.common);
  return problems;
}

/** The name part of an email address, plus its base without a '+tag'. */
function emailNames(email: string): string[] {
  const e = email.normalize('NFKC').trim().toLowerCase();
  const at = e.lastIndexOf('@');
  const local = at >= 0 ? e.slice(0, at) : e;
  const base = local.split('+')[0] ?? '';
  return [...new Set([local, base])];
}

/** Rules on the password against the account's other details. */
function contextualPasswordProblems(password: string, ctx: PasswordContext): string[] {
  const problems: string[] = [];
  const lower = password.normalize('NFKC').toLowerCase();
  const long = (s: string) => codePoints(s).length >= 4;
  const user = ctx.username === undefined ? '' : usernameKey(ctx.username.normalize('NFKC'));
  if (long(user) && lower.includes(user)) problems.push(PASSWORD_MESSAGES.containsUsername);
  if (ctx.email !== undefined && emailNames(ctx.email).some((n) => long(n) && lower.includes(n))) {
    problems.push(PASSWORD_MESSAGES.containsEmail);
  }
  return problems;
}

/** Every problem with a password, as messages that say what to do; empty when it is acceptable. */
export function passwordProblems(password: string, ctx: PasswordContext = {}): string[] {
  return [...intrinsicPasswordProblems(password), ...contextualPasswordProblems(password, ctx)];
}

// ---- Schema building blocks ------------------------------------------------------------------

const always = { when: () => true };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const missingOr = (label: string, kind: string) => (iss: { input?: unknown }) =>
  iss.input === undefined || iss.input === null ? `${label} is required` : `${label} must be ${kind}`;

const requiredString = (label: string) => z.string({ error: missingOr(label, 'text') });

const section = <S extends z.core.$ZodLooseShape>(label: string, shape: S) =>
  z.object(shape, { error: missingOr(label, 'an object') });

const list = <T extends z.core.SomeType>(label: string, item: T) => z.array(item, { error: missingOr(label, 'a list') });

/** NFC, trimmed, inner runs of whitespace collapsed to one space. */
const cleanText = (s: string) => s.normalize('NFC').replace(/\s+/gu, ' ').trim();

const CONTROL = /\p{Cc}/u;

function textProblem(s: string, label: string, min: number, max: number): string | undefined {
  const n = codePoints(s).length;
  if (n === 0) return `${label} is required`;
  if (n < min) return `${label} must be at least ${min} characters`;
  if (n > max) return `${label} must be at most ${max} characters`;
  if (CONTROL.test(s)) return `${label} must not contain control characters`;
  return undefined;
}

/** Required free text: cleaned, then min..max characters. */
const text = (label: string, min: number, max: number) =>
  requiredString(label)
    .overwrite(cleanText)
    .superRefine((s, ctx) => {
      const problem = textProblem(s, label, min, max);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** Optional free text: absent, null or blank all mean "not given". */
const optionalText = (label: string, max: number) =>
  z
    .string({ error: `${label} must be text` })
    .nullish()
    .transform((v, ctx) => {
      const s = v == null ? '' : cleanText(v);
      if (s === '') return undefined;
      const problem = textProblem(s, label, 1, max);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return s;
    })
    .optional();

const NAME_CHARS = /^[\p{L}\p{M}' ’.-]+$/u;

export const personName = (label: string) =>
  requiredString(label)
    .overwrite(cleanText)
    .superRefine((s, ctx) => {
      const problem =
        textProblem(s, label, 1, 100) ??
        (NAME_CHARS.test(s) && /\p{L}/u.test(s)
          ? undefined
          : `${label} may contain only letters, spaces, apostrophes, hyphens and periods`);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const PHONE_HELP =
  'a US phone number with its area code, such as (617) 555-0100, 617-555-0100 or +1 617 555 0100; ' +
  'the area code and the three digits after it cannot start with 0 or 1';

const requiredPhone = (label: string) =>
  requiredString(label).transform((s, ctx) => {
    if (s.trim() === '') {
      ctx.addIssue({ code: 'custom', message: `${label} is required: enter ${PHONE_HELP}` });
      return z.NEVER;
    }
    const e164 = normalizeUsPhone(s);
    if (!e164) {
      ctx.addIssue({ code: 'custom', message: `${label} is not valid: enter ${PHONE_HELP}` });
      return z.NEVER;
    }
    return e164;
  });

const optionalPhone = (label: string) =>
  z
    .string({ error: `${label} must be text` })
    .nullish()
    .transform((v, ctx) => {
      if (v == null || v.trim() === '') return undefined;
      const e164 = normalizeUsPhone(v);
      if (!e164) {
        ctx.addIssue({ code: 'custom', message: `${label} is not valid: enter ${PHONE_HELP}, or leave it empty` });
        return z.NEVER;
      }
      return e164;
    })
    .optional();

const EMAIL = z.regexes.email;

export const email = requiredString('Email address')
  .overwrite((s) => s.normalize('NFC').trim().toLowerCase())
  .superRefine((s, ctx) => {
    const add = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (s === '') add('Email address is required');
    else if (s.length > 254) add('Email address must be at most 254 characters');
    else if (!EMAIL.test(s) || (emailNames(s)[0] ?? '').length > 64) {
      add('Email address is not valid: enter an address such as name@example.org');
    }
  });

const state = requiredString('State')
  .overwrite((s) => s.trim().toUpperCase())
  .pipe(z.enum(US_STATES, { error: 'State must be a two-letter USPS code such as MA, NY or PR' }));

const zip = requiredString('ZIP code').transform((s, ctx) => {
  const normalized = normalizeZip(s);
  if (!normalized) {
    ctx.addIssue({ code: 'custom', message: 'ZIP code must be 5 digits or ZIP+4, such as 02115 or 02115-1234' });
    return z.NEVER;
  }
  return normalized;
});

const USERNAME_CHARS = /^[A-Za-z][A-Za-z0-9._-]*$/;

export const username = requiredString('Username')
  .overwrite((s) => s.trim())
  .superRefine((s, ctx) => {
    const add = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (s === '') return add('Username is required: choose 4 to 64 letters, digits, periods, underscores or hyphens');
    if (s.length < 4 || s.length > 64) add('Username must be 4 to 64 characters long');
    if (!USERNAME_CHARS.test(s)) {
      add('Username may contain only letters, digits, periods, underscores and hyphens, and must start with a letter');
    }
  });

const password = z
  .string({ error: missingOr('Password', 'text') })
  .superRefine((pw, ctx) => {
    for (const message of intrinsicPasswordProblems(pw)) ctx.addIssue({ code: 'custom', message });
  });

const QUESTION_IDS = SECURITY_QUESTIONS.map((q) => q.id);

const securityAnswer = section('Each security answer', {
  questionId: requiredString('Security question').superRefine((id, ctx) => {
    if (!QUESTION_IDS.includes(id)) {
      ctx.addIssue({
        code: 'custom',
        message: `Unknown security question "${id}"; choose one of: ${QUESTION_IDS.join(', ')}`,
      });
    }
  }),
  answer: requiredString('Security answer')
    .overwrite((s) => s.normalize('NFC').trim())
    .superRefine((s, ctx) => {
      const problem = textProblem(s, 'Security answer', 2, 100);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
});

const securityAnswers = list('The list of security answers', securityAnswer).superRefine((answers: unknown, ctx) => {
  if (!Array.isArray(answers)) return;
  if (answers.length !== SECURITY_ANSWERS_REQUIRED) {
    ctx.addIssue({
      code: 'custom',
      message: `Answer exactly ${SECURITY_ANSWERS_REQUIRED} different security questions (this request answers ${answers.length})`,
    });
  }
  const seen = new Set<string>();
  answers.forEach((a: unknown, i) => {
    const id = isRecord(a) ? str(a.questionId) : undefined;
    if (id === undefined) return;
    if (seen.has(id)) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'questionId'],
        message: `This security question is already answered above; choose ${SECURITY_ANSWERS_REQUIRED} different questions`,
      });
    }
    seen.add(id);
  });
}, always);

const tin = requiredString('TIN').transform((s, ctx) => {
  const normalized = normalizeTin(s);
  if (!normalized) {
    ctx.addIssue({ code: 'custom', message: 'TIN must be 9 digits, such as 12-3456789 or 123456789' });
    return z.NEVER;
  }
  return normalized;
});

const tins = list('The list of TINs', tin).superRefine((values: unknown, ctx) => {
  if (!Array.isArray(values)) return;
  if (values.length < 1) ctx.addIssue({ code: 'custom', message: 'List at least one TIN (tax identification number)' });
  if (values.length > TINS_MAX) ctx.addIssue({ code: 'custom', message: `List at most ${TINS_MAX} TINs` });
  const first = new Map<string, number>();
  values.forEach((v: unknown, i) => {
    const t = typeof v === 'string' ? normalizeTin(v) : undefined;
    if (t === undefined) return;
    const j = first.get(t);
    if (j !== undefined) {
      ctx.addIssue({ code: 'custom', path: [i], message: `TIN ${formatTin(t)} is already listed (entry ${j + 1}); list each TIN once` });
    } else first.set(t, i);
  });
}, always);

const planId = requiredString('Plan ID')
  .overwrite((s) => s.trim())
  .superRefine((s, ctx) => {
    const problem = textProblem(s, 'Plan ID', 1, 100);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const planIds = list('The list of plan IDs', planId).superRefine((values: unknown, ctx) => {
  if (!Array.isArray(values)) return;
  if (values.length < 1) ctx.addIssue({ code: 'custom', message: 'List at least one plan ID' });
  if (values.length > PLAN_IDS_MAX) ctx.addIssue({ code: 'custom', message: `List at most ${PLAN_IDS_MAX} plan IDs` });
  const first = new Map<string, number>();
  values.forEach((v: unknown, i) => {
    const id = typeof v === 'string' ? v.trim() : undefined;
    if (!id) return;
    const j = first.get(id);
    if (j !== undefined) {
      ctx.addIssue({ code: 'custom', path: [i], message: `Plan ID "${id}" is already listed (entry ${j + 1}); list each plan once` });
    } else first.set(id, i);
  });
}, always);

// ---- The request -----------------------------------------------------------------------------

const userSchema = section('The user section', {
  firstName: personName('First name'),
  lastName: personName('Last name'),
  role: z.enum(PROVIDER_ROLES, {
    error: `Role must be one of: ${PROVIDER_ROLES.map((r) => `${r} (${ROLE_LABELS[r]})`).join(', ')}`,
  }),
  organization: section('The organization', {
    name: text('Organization name', 2, 200),
    address: section('The organization address', {
      line1: text('Street address', 1, 200),
      line2: optionalText('Address line 2', 200),
      city: text('City', 1, 100),
      state,
      zip,
    }),
  }),
  email,
  phone: requiredPhone('Phone number'),
  fax: optionalPhone('Fax number'),
});

const loginSchema = section('The login section', {
  username,
  password,
  passwordConfirmation: requiredString('Password confirmation'),
  securityAnswers,
}).superRefine((value: unknown, ctx) => {
  if (!isRecord(value)) return;
  const pw = str(value.password);
  const confirmation = str(value.passwordConfirmation);
  if (pw === undefined) return;
  if (confirmation !== undefined && confirmation !== pw) {
    ctx.addIssue({ code: 'custom', path: ['passwordConfirmation'], message: PASSWORD_MESSAGES.mismatch });
  }
  for (const message of contextualPasswordProblems(pw, { username: str(value.username) })) {
    ctx.addIssue({ code: 'custom', path: ['password'], message });
  }
}, always);

const applicationSchema = section('The application section', {
  program: z.enum(PROGRAMS, {
    error: `Program must be one of: ${PROGRAMS.map((p) => `${p} (${PROGRAM_LABELS[p]})`).join(', ')}`,
  }),
  tins,
  planIds,
});

const termsSchema = section('The terms section', {
  accepted: z.literal(true, { error: 'You must accept the terms of service' }),
  version: z.literal(TERMS_VERSION, {
    error: `The terms of service have changed: read the current version (${TERMS_VERSION}) and accept it`,
  }),
});

export interface RegistrationIssue {
  path: (string | number)[];
  message: string;
}

/** The rule that spans sections: the password must not contain the email's name part. */
function crossSectionIssues(value: unknown): RegistrationIssue[] {
  if (!isRecord(value) || !isRecord(value.user) || !isRecord(value.login)) return [];
  const pw = str(value.login.password);
  const mail = str(value.user.email);
  if (pw === undefined || mail === undefined) return [];
  return contextualPasswordProblems(pw, { email: mail }).map((message) => ({ path: ['login', 'password'], message }));
}

export const registrationSchema = z
  .object(
    { user: userSchema, login: loginSchema, application: applicationSchema, terms: termsSchema },
    { error: 'The registration must be a JSON object with user, login, application and terms' },
  )
  .superRefine((value: unknown, ctx) => {
    for (const issue of crossSectionIssues(value)) ctx.addIssue({ code: 'custom', ...issue });
  }, always);

export type RegistrationInput = z.input<typeof registrationSchema>;
export type Registration = z.output<typeof registrationSchema>;

/**
 * Validates a registration request and lists every problem at once. The API turns `issues` into
 * its 400 answer (field = 'body.' + path joined with '.'); `data` is present only when there are none.
 */
export function registrationProblems(input: unknown): { data?: Registration; issues: RegistrationIssue[] } {
  const parsed = registrationSchema.safeParse(input);
  const issues: RegistrationIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
        message: i.message,
      }));
  // Independently of what zod chose to run, the cross-section rule on the raw input.
  const key = (i: RegistrationIssue) => JSON.stringify([i.path, i.message]);
  const known = new Set(issues.map(key));
  for (const issue of crossSectionIssues(input)) {
    if (!known.has(key(issue))) issues.push(issue);
  }
  return parsed.success && issues.length === 0 ? { data: parsed.data, issues } : { issues };
}

// ---- Review page -----------------------------------------------------------------------------

export interface DisplayPhone {
  /** E.164, e.g. '+16175550100'. */
  e164: string;
  /** e.g. '(617) 555-0100'. */
  display: string;
}

export interface RegistrationSummary {
  user: {
    firstName: string;
    lastName: string;
    fullName: string;
    role: ProviderRole;
    roleLabel: string;
    organization: {
      name: string;
      address: { line1: string; line2?: string; city: string; state: UsState; zip: string };
      /** The address as printed on an envelope. */
      addressLines: string[];
    };
    email: string;
    phone: DisplayPhone;
    fax?: DisplayPhone;
  };
  login: {
    username: string;
    usernameKey: string;
    securityQuestions: { questionId: string; question: string; answer: typeof MASKED_ANSWER }[];
  };
  application: { program: Program; programLabel: string; tins: string[]; tinsDisplay: string[]; planIds: string[] };
  terms: { accepted: true; version: string };
}

const displayPhone = (e164: string): DisplayPhone => ({ e164, display: formatUsPhone(e164) });

/** What the review page shows: normalized values, labels, and no password or security answers. */
export function registrationSummary(r: Registration): RegistrationSummary {
  const { user, login, application, terms } = r;
  const a = user.organization.address;
  return {
    user: {
      firstName: user.firstName,
      lastName: user.lastName,
      fullName: `${user.firstName} ${user.lastName}`,
      role: user.role,
      roleLabel: ROLE_LABELS[user.role],
      organization: {
        name: user.organization.name,
        address: { line1: a.line1, ...(a.line2 ? { line2: a.line2 } : {}), city: a.city, state: a.state, zip: a.zip },
        addressLines: [a.line1, ...(a.line2 ? [a.line2] : []), `${a.city}, ${a.state} ${a.zip}`],
      },
      email: user.email,
      phone: displayPhone(user.phone),
      ...(user.fax ? { fax: displayPhone(user.fax) } : {}),
    },
    login: {
      username: login.username,
      usernameKey: usernameKey(login.username),
      securityQuestions: login.securityAnswers.map((s) => ({
        questionId: s.questionId,
        question: securityQuestionText(s.questionId) ?? s.questionId,
        answer: MASKED_ANSWER,
      })),
    },
    application: {
      program: application.program,
      programLabel: PROGRAM_LABELS[application.program],
      tins: [...application.tins],
      tinsDisplay: application.tins.map(formatTin),
      planIds: [...application.planIds],
    },
    terms: { accepted: terms.accepted, version: terms.version },
  };
}
