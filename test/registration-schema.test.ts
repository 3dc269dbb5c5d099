import { validationError } from '../api/errors';
import {
  formatUsPhone,
  MASKED_ANSWER,
  normalizeSecurityAnswer,
  normalizeTin,
  normalizeUsPhone,
  PASSWORD_MESSAGES,
  passwordProblems,
  PROGRAMS,
  PROVIDER_ROLES,
  registrationProblems,
  registrationSchema,
  registrationSummary,
  ROLE_LABELS,
  SECURITY_ANSWERS_REQUIRED,
  SECURITY_QUESTIONS,
  TERMS_VERSION,
  usernameKey,
  type RegistrationInput,
} from '../domain/registration';

/** A complete, valid request, typed as the API receives it; each test breaks what it needs. */
function validRequest(): RegistrationInput {
  return {
    user: {
      firstName: '  Zoë ',
      lastName: "O'Brien-Smith",
      role: 'ORDERING_PROVIDER',
      organization: {
        name: '  Back Bay   Orthopedics ',
        address: { line1: '1 Longwood Ave', line2: '', city: 'Boston', state: 'ma', zip: '021151234' },
      },
      email: '  Jane.Doe@Example.ORG ',
      phone: '(617) 555-0100',
      fax: '1-617-555-0101',
    },
    login: {
      username: 'JDoe_MD',
      password: 'violet tractor harbor lantern',
      passwordConfirmation: 'violet tractor harbor lantern',
      securityAnswers: [
        { questionId: 'first-car', answer: '  Ford Focus ' },
        { questionId: 'birth-city', answer: 'Boston' },
        { questionId: 'first-pet', answer: 'Rex' },
      ],
    },
    application: { program: 'HEALTH_PLAN_UR', tins: ['12-3456789', '987654321'], planIds: ['PLAN-A', 'PLAN-B'] },
    terms: { accepted: true, version: TERMS_VERSION },
  };
}

/** A deep copy of the valid request with `change` applied to it. */
function requestWith(change: (r: any) => void): unknown {
  const r = structuredClone(validRequest());
  change(r);
  return r;
}

const fields = (input: unknown) => registrationProblems(input).issues.map((i) => i.path.join('.'));
const messagesAt = (input: unknown, field: string) =>
  registrationProblems(input)
    .issues.filter((i) => i.path.join('.') === field)
    .map((i) => i.message);

describe('fixed lists', () => {
  test('roles, programs, questions and terms version are as published', () => {
    expect(PROVIDER_ROLES).toEqual(['ORDERING_PROVIDER', 'SERVICING_PROVIDER', 'OFFICE_STAFF']);
    expect(ROLE_LABELS.OFFICE_STAFF).toBe('Office staff acting for a provider');
    expect(PROGRAMS).toEqual(['HEALTH_PLAN_UR']);
    expect(TERMS_VERSION).toBe('2026-11-01');
    expect(SECURITY_ANSWERS_REQUIRED).toBe(3);
    const ids = SECURITY_QUESTIONS.map((q) => q.id);
    expect(ids.length).toBeGreaterThanOrEqual(SECURITY_ANSWERS_REQUIRED + 5);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['first-car', 'birth-city']));
  });
});

describe('a valid request', () => {
  test('is accepted and normalized', () => {
    const { data, issues } = registrationProblems(validRequest());
    expect(issues).toEqual([]);
    expect(data).toBeDefined();
    const r = data!;
    expect(r.user).toEqual({
      firstName: 'Zoë',
      lastName: "O'Brien-Smith",
      role: 'ORDERING_PROVIDER',
      organization: {
        name: 'Back Bay Orthopedics',
        address: { line1: '1 Longwood Ave', line2: undefined, city: 'Boston', state: 'MA', zip: '02115-1234' },
      },
      email: 'jane.doe@example.org',
      phone: '+16175550100',
      fax: '+16175550101',
    });
    expect(r.login.username).toBe('JDoe_MD'); // keeps the case typed
    expect(usernameKey(r.login.username)).toBe('jdoe_md');
    expect(r.login.securityAnswers[0]).toEqual({ questionId: 'first-car', answer: 'Ford Focus' });
    expect(r.application).toEqual({ program: 'HEALTH_PLAN_UR', tins: ['123456789', '987654321'], planIds: ['PLAN-A', 'PLAN-B'] });
    expect(r.terms).toEqual({ accepted: true, version: TERMS_VERSION });
  });

  test('a 5-digit ZIP stays 5 digits and the fax may be left out', () => {
    const { data, issues } = registrationProblems(
      requestWith((r) => {
        r.user.organization.address.zip = ' 02115 ';
        delete r.user.fax;
      }),
    );
    expect(issues).toEqual([]);
    expect(data!.user.organization.address.zip).toBe('02115');
    expect(data!.user.fax).toBeUndefined();
  });

  test('the schema on its own accepts it too (for routes that parse with it directly)', () => {
    expect(registrationSchema.safeParse(validRequest()).success).toBe(true);
  });
});

describe('every problem is reported at once', () => {
  const broken = requestWith((r) => {
    r.user.firstName = 'J0hn';
    r.user.role = 'DOCTOR';
    r.user.organization.address.state = 'ZZ';
    r.user.organization.address.zip = '1234';
    r.user.email = 'not-an-address';
    r.user.phone = '(017) 555-0100';
    r.login.password = 'violet tractor harbor lantern';
    r.login.passwordConfirmation = 'violet tractor harbor lanterns';
    r.login.securityAnswers[1].questionId = 'favourite-colour';
    r.application.program = 'DENTAL';
    r.application.tins = ['12-3456789', '123456789', '12345'];
    r.terms.accepted = false;
    r.terms.version = '2020-01-01';
  });

  test('with the field path of each, across all four sections', () => {
    const { data, issues } = registrationProblems(broken);
    expect(data).toBeUndefined();
    const paths = issues.map((i) => i.path);
    for (const expected of [
      ['user', 'firstName'],
      ['user', 'role'],
      ['user', 'organization', 'address', 'state'],
      ['user', 'organization', 'address', 'zip'],
      ['user', 'email'],
      ['user', 'phone'],
      ['login', 'passwordConfirmation'],
      ['login', 'securityAnswers', 1, 'questionId'],
      ['application', 'program'],
      ['application', 'tins', 1],
      ['application', 'tins', 2],
      ['terms', 'accepted'],
      ['terms', 'version'],
    ]) {
      expect(paths).toContainEqual(expected);
    }
    expect(new Set(paths.map((p) => p.join('.'))).size).toBeGreaterThanOrEqual(8);
    const at = (field: string) => issues.find((i) => i.path.join('.') === field)?.message;
    expect(at('terms.accepted')).toBe('You must accept the terms of service');
    expect(at('terms.version')).toContain(TERMS_VERSION);
    expect(at('user.phone')).toMatch(/\(617\) 555-0100/);
    expect(at('login.passwordConfirmation')).toBe(PASSWORD_MESSAGES.mismatch);
    expect(at('login.securityAnswers.1.questionId')).toMatch(/favourite-colour/);
    expect(at('application.tins.1')).toMatch(/12-3456789 is already listed/);
  });

  test('the password rules that span fields still run when other sections are broken', () => {
    const input = requestWith((r) => {
      r.user.email = 'harborlantern@example.org';
      r.user.phone = 'call me';
      r.login.username = 'violet';
      r.login.password = 'violet tractor harborlantern';
      r.login.passwordConfirmation = 'something else';
      r.application.tins = [];
      delete r.terms;
    });
    expect(messagesAt(input, 'login.password')).toEqual([PASSWORD_MESSAGES.containsUsername, PASSWORD_MESSAGES.containsEmail]);
    expect(fields(input)).toEqual(
      expect.arrayContaining(['user.phone', 'login.passwordConfirmation', 'application.tins', 'terms']),
    );
  });

  test('the schema used directly gives the same problems, in the API error shape', () => {
    const parsed = registrationSchema.safeParse(broken);
    expect(parsed.success).toBe(false);
    const problems = (validationError('body', parsed.error!).details as { problems: { field: string }[] }).problems;
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining(['body.user.phone', 'body.login.passwordConfirmation', 'body.application.tins.1', 'body.terms.accepted']),
    );
    expect(problems.map((p) => p.field).sort()).toEqual(fields(broken).map((f) => `body.${f}`).sort());
  });

  test('missing sections and a non-object body are named, not thrown', () => {
    expect(fields({})).toEqual(['user', 'login', 'application', 'terms']);
    expect(registrationProblems(null).issues).toHaveLength(1);
    expect(registrationProblems('hello').data).toBeUndefined();
  });
});

describe('password rules, each on its own', () => {
  const only = (password: string, ctx = {}) => passwordProblems(password, ctx);

  test('too short and too long', () => {
    expect(only('tiger lamp')).toEqual([PASSWORD_MESSAGES.tooShort]);
    expect(only('violet tractor harbor lantern '.repeat(5))).toEqual([PASSWORD_MESSAGES.tooLong]);
  });

  test('confirmation must match, reported on login.passwordConfirmation', () => {
    const input = requestWith((r) => (r.login.passwordConfirmation = 'Violet tractor harbor lantern'));
    expect(registrationProblems(input).issues).toEqual([
      { path: ['login', 'passwordConfirmation'], message: PASSWORD_MESSAGES.mismatch },
    ]);
  });

  test('must not contain the username, whatever the case', () => {
    expect(only('my JDoe_MD harbor lantern', { username: 'jdoe_md' })).toEqual([PASSWORD_MESSAGES.containsUsername]);
    const input = requestWith((r) => {
      r.login.password = r.login.passwordConfirmation = 'harbor jdoe_md lantern';
    });
    expect(registrationProblems(input).issues).toEqual([
      { path: ['login', 'password'], message: PASSWORD_MESSAGES.containsUsername },
    ]);
    // Usernames under 4 characters are not checked (never valid here, but passwordProblems is general).
    expect(only('violet abc harbor lantern', { username: 'abc' })).toEqual([]);
  });

  test("must not contain the email's name part", () => {
    expect(only('Jane.Doe harbor lantern', { email: 'jane.doe@example.org' })).toEqual([PASSWORD_MESSAGES.containsEmail]);
    const input = requestWith((r) => {
      r.login.password = r.login.passwordConfirmation = 'harbor JANE.DOE lantern';
    });
    expect(registrationProblems(input).issues).toEqual([{ path: ['login', 'password'], message: PASSWORD_MESSAGES.containsEmail }]);
  });

  test('a common word with digits and symbols added', () => {
    expect(only('Password1234!')).toEqual([PASSWORD_MESSAGES.common]);
    expect(only('Welcome2024!!!')).toEqual([PASSWORD_MESSAGES.common]);
    expect(only('Trustno1!!!!!')).toEqual([PASSWORD_MESSAGES.common]);
  });

  test('a common word in leetspeak', () => {
    expect(only('P@ssw0rd2024!!')).toEqual([PASSWORD_MESSAGES.common]);
    expect(only('$unsh1ne12345')).toEqual([PASSWORD_MESSAGES.common]);
    expect(only('1etme1n!!!!!!')).toEqual([PASSWORD_MESSAGES.common]);
  });

  test('one character repeated', () => {
    expect(only('aaaaaaaaaaaa')).toEqual([PASSWORD_MESSAGES.repeated]);
    expect(only('############')).toEqual([PASSWORD_MESSAGES.repeated]);
  });

  test('a keyboard or digit sequence', () => {
    expect(only('123456789012')).toEqual([PASSWORD_MESSAGES.sequence]);
    expect(only('987654321098')).toEqual([PASSWORD_MESSAGES.sequence]);
    expect(only('qwertyuiopas')).toEqual([PASSWORD_MESSAGES.sequence]);
    expect(only('abcdefghijklm')).toEqual([PASSWORD_MESSAGES.sequence]);
  });

  test('the messages say what to do instead', () => {
    for (const m of [PASSWORD_MESSAGES.common, PASSWORD_MESSAGES.repeated, PASSWORD_MESSAGES.sequence]) {
      expect(m).toMatch(/choose a longer passphrase/);
    }
  });

  test('a strong passphrase passes, in the schema too', () => {
    expect(only('violet tractor harbor lantern', { username: 'JDoe_MD', email: 'jane.doe@example.org' })).toEqual([]);
    expect(only('Crimson-Otter-Waltz-7')).toEqual([]);
    expect(registrationProblems(validRequest()).issues).toEqual([]);
  });

  test('several problems of one password are all listed', () => {
    expect(only('password')).toEqual([PASSWORD_MESSAGES.tooShort, PASSWORD_MESSAGES.common]);
  });
});

describe('security answers', () => {
  test('compare case- and space-insensitively', () => {
    expect(normalizeSecurityAnswer('  Boston  Red Sox')).toBe(normalizeSecurityAnswer('bostonredsox'));
    expect(normalizeSecurityAnswer('Ｂｏｓｔｏｎ')).toBe('boston'); // NFKC: full-width letters
    expect(normalizeSecurityAnswer('Boston')).not.toBe(normalizeSecurityAnswer('Bostan'));
  });

  test('exactly three, on different known questions, each 2-100 characters', () => {
    const twoOnly = requestWith((r) => r.login.securityAnswers.pop());
    expect(fields(twoOnly)).toEqual(['login.securityAnswers']);

    const repeated = requestWith((r) => (r.login.securityAnswers[2].questionId = 'first-car'));
    expect(fields(repeated)).toEqual(['login.securityAnswers.2.questionId']);

    const shortAnswer = requestWith((r) => (r.login.securityAnswers[0].answer = '  x  '));
    expect(fields(shortAnswer)).toEqual(['login.securityAnswers.0.answer']);
  });
});

describe('phone numbers', () => {
  test('the accepted US formats all normalize to the same E.164', () => {
    for (const s of ['(617) 555-0100', '617-555-0100', '617.555.0100', '6175550100', '+1 617 555 0100', '1-617-555-0100']) {
      expect(normalizeUsPhone(s)).toBe('+16175550100');
    }
    expect(formatUsPhone('+16175550100')).toBe('(617) 555-0100');
  });

  test('area codes or exchanges starting with 0 or 1, short numbers and other countries are rejected', () => {
    for (const s of ['(017) 555-0100', '(117) 555-0100', '617-055-0100', '617-155-0100', '555-0100', '+44 20 7946 0958', '617-555-01OO']) {
      expect(normalizeUsPhone(s)).toBeUndefined();
    }
    const input = requestWith((r) => {
      r.user.phone = '555-0100';
      r.user.fax = '(017) 555-0100';
    });
    const { issues } = registrationProblems(input);
    expect(issues.map((i) => i.path.join('.'))).toEqual(['user.phone', 'user.fax']);
    expect(issues[0]!.message).toMatch(/US phone number with its area code, such as \(617\) 555-0100/);
  });

  test('the phone is required, the fax is not', () => {
    expect(fields(requestWith((r) => delete r.user.phone))).toEqual(['user.phone']);
    expect(fields(requestWith((r) => (r.user.phone = '  ')))).toEqual(['user.phone']);
    expect(fields(requestWith((r) => (r.user.fax = '')))).toEqual([]);
  });
});

describe('application', () => {
  test('TINs are 9 digits, with or without the dash', () => {
    expect(normalizeTin('12-3456789')).toBe('123456789');
    expect(normalizeTin(' 123456789 ')).toBe('123456789');
    expect(normalizeTin('123-45-6789')).toBeUndefined();
    expect(normalizeTin('12345678')).toBeUndefined();
  });

  test('between 1 and 20 TINs and 1 and 50 distinct plan ids', () => {
    expect(fields(requestWith((r) => (r.application.tins = [])))).toEqual(['application.tins']);
    const many = Array.from({ length: 21 }, (_, i) => String(100000000 + i));
    expect(fields(requestWith((r) => (r.application.tins = many)))).toEqual(['application.tins']);
    expect(fields(requestWith((r) => (r.application.planIds = [])))).toEqual(['application.planIds']);
    expect(fields(requestWith((r) => (r.application.planIds = ['A', ' ', 'B', 'A'])))).toEqual([
      'application.planIds.1',
      'application.planIds.3',
    ]);
  });
});

describe('user details', () => {
  test('names, organization, address, email and username rules', () => {
    const input = requestWith((r) => {
      r.user.lastName = '   ';
      r.user.organization.name = 'X';
      r.user.organization.address.line1 = '';
      r.user.organization.address.city = '';
      r.user.email = 'jane@@example.org';
      r.login.username = '9lives';
    });
    expect(fields(input)).toEqual([
      'user.lastName',
      'user.organization.name',
      'user.organization.address.line1',
      'user.organization.address.city',
      'user.email',
      'login.username',
    ]);
  });

  test('state codes include DC and the territories, any case', () => {
    for (const state of ['dc', 'PR', 'vi', 'Gu', 'AS', 'mp']) {
      expect(registrationProblems(requestWith((r) => (r.user.organization.address.state = state))).issues).toEqual([]);
    }
  });
});

describe('review summary', () => {
  test('shows normalized values and labels, never the password or the answers', () => {
    const data = registrationProblems(validRequest()).data!;
    const summary = registrationSummary(data);
    expect(summary.user.roleLabel).toBe('Ordering provider');
    expect(summary.application.programLabel).toBe('Health Plan Utilization Review');
    expect(summary.user.phone).toEqual({ e164: '+16175550100', display: '(617) 555-0100' });
    expect(summary.user.fax).toEqual({ e164: '+16175550101', display: '(617) 555-0101' });
    expect(summary.login.securityQuestions).toEqual([
      { questionId: 'first-car', question: SECURITY_QUESTIONS.find((q) => q.id === 'first-car')!.text, answer: MASKED_ANSWER },
      { questionId: 'birth-city', question: expect.stringMatching(/city/), answer: '••••' },
      { questionId: 'first-pet', question: expect.stringMatching(/pet/), answer: '••••' },
    ]);
    const json = JSON.stringify(summary);
    expect(json).not.toMatch(/password/i);
    expect(json).not.toContain('violet tractor');
    for (const secret of ['Ford Focus', 'Rex']) expect(json).not.toContain(secret);
  });
});
