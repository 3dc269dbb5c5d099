import { npiValid } from '../domain/npi';
import { healthPlans, organizations } from '../prisma/seed/roster';
import {
  AGES_AS_OF,
  FACILITY_SERVICES,
  fixtures,
  members,
  planPrograms,
  planStates,
  providers,
  type FacilityService,
  type MemberRow,
  type PlanId,
  type ProviderRow,
} from '../prisma/seed/reference';

// Pure checks of the reference data: no database, no Temporal.

const physicians = providers.filter((p) => p.kind === 'ORDERING_PHYSICIAN');
const facilities = providers.filter((p) => p.kind === 'SERVICING_FACILITY');
const rosterTins = new Map(organizations.flatMap((o) => o.tins.map((t) => [t.tin, { org: o, plans: t.plans }] as const)));
const planIds = Object.keys(planStates) as PlanId[];

function validDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}

function ageOn(birthDate: string, on: string): number {
  const years = Number(on.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return on.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/** Whether the plan reviews the program in the state on the date (endsOn inclusive). */
function programRuns(planId: PlanId, program: 'IMAGING' | 'REHAB', state: string, date: string): boolean {
  return planPrograms.some(
    (r) => r.planId === planId && r.program === program && r.state === state && r.startsOn <= date && (r.endsOn === null || date <= r.endsOn),
  );
}

function provider(npi: string): ProviderRow {
  const p = providers.find((x) => x.npi === npi);
  if (!p) throw new Error(`No provider ${npi}`);
  return p;
}

function member(id: string): MemberRow {
  const m = members.find((x) => x.id === id);
  if (!m) throw new Error(`No member ${id}`);
  return m;
}

function inNetwork(p: ProviderRow, planId: PlanId): boolean | undefined {
  return p.networks.find((n) => n.planId === planId)?.inNetwork;
}

function eligibleOn(m: MemberRow, date: string): boolean {
  return m.eligibleFrom <= date && (m.eligibleTo === null || date <= m.eligibleTo);
}

describe('plans and programs', () => {
  it('covers exactly the roster plans, with two-letter states', () => {
    expect([...planIds].sort()).toEqual(healthPlans.map((p) => p.id).sort());
    for (const states of Object.values(planStates)) {
      expect(states.length).toBeGreaterThan(0);
      for (const s of states) expect(s).toMatch(/^[A-Z]{2}$/);
      expect(new Set(states).size).toBe(states.length);
    }
  });

  it("puts every roster TIN's practice in a state one of its plans serves", () => {
    for (const org of organizations) {
      for (const t of org.tins) {
        expect(t.plans.some((p) => planStates[p as PlanId].includes(org.state))).toBe(true);
      }
    }
  });

  it('knows which TIN-plan contracts are out of area (the roster as given)', () => {
    const outOfArea = organizations.flatMap((o) =>
      o.tins.flatMap((t) => t.plans.filter((p) => !planStates[p as PlanId].includes(o.state)).map((p) => `${t.tin}:${p}`)),
    );
    expect(outOfArea.sort()).toEqual(
      ['041234567:GLCH', '361112222:MWEP', '582224444:NEBHP', '841010102:GLCH', '861234500:PCSA'].sort(),
    );
  });

  it('has well-formed rows for served states only', () => {
    for (const r of planPrograms) {
      expect(planStates[r.planId]).toContain(r.state);
      expect(validDate(r.startsOn)).toBe(true);
      if (r.endsOn !== null) {
        expect(validDate(r.endsOn)).toBe(true);
        expect(r.endsOn >= r.startsOn).toBe(true);
      }
    }
  });

  it('never overlaps two rows of the same plan, program and state', () => {
    const groups = new Map<string, typeof planPrograms>();
    for (const r of planPrograms) {
      const key = `${r.planId}/${r.program}/${r.state}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [key, rows] of groups) {
      const sorted = [...rows].sort((a, b) => a.startsOn.localeCompare(b.startsOn));
      for (let i = 1; i < sorted.length; i++) {
        const prev = sorted[i - 1]!;
        const next = sorted[i]!;
        expect({ key, prevEndsBeforeNext: prev.endsOn !== null && prev.endsOn < next.startsOn }).toEqual({
          key,
          prevEndsBeforeNext: true,
        });
      }
    }
  });

  it('reviews IMAGING in every state of every plan since 2024-01-01', () => {
    for (const planId of planIds) {
      for (const state of planStates[planId]) {
        const rows = planPrograms.filter((r) => r.planId === planId && r.program === 'IMAGING' && r.state === state);
        expect(rows).toEqual([{ planId, program: 'IMAGING', state, startsOn: '2024-01-01', endsOn: null }]);
      }
    }
  });

  it('reviews REHAB in most states, with the documented exceptions', () => {
    expect(programRuns('NEBHP', 'REHAB', 'MA', '2024-01-01')).toBe(true);
    expect(programRuns('GLCH', 'REHAB', 'MI', '2024-06-01')).toBe(true);
    // GLCH: OH and IN start 2027-01-01.
    for (const state of ['OH', 'IN']) {
      expect(programRuns('GLCH', 'REHAB', state, '2026-12-31')).toBe(false);
      expect(programRuns('GLCH', 'REHAB', state, '2027-01-01')).toBe(true);
    }
    // SBMP: none in GA, ever.
    expect(planPrograms.some((r) => r.planId === 'SBMP' && r.program === 'REHAB' && r.state === 'GA')).toBe(false);
    expect(programRuns('SBMP', 'REHAB', 'TX', '2025-01-01')).toBe(true);
    // PCSA: OR paused 2025-07-01..2025-12-31, two rows.
    expect(planPrograms.filter((r) => r.planId === 'PCSA' && r.program === 'REHAB' && r.state === 'OR')).toHaveLength(2);
    expect(programRuns('PCSA', 'REHAB', 'OR', '2025-06-30')).toBe(true);
    expect(programRuns('PCSA', 'REHAB', 'OR', '2025-07-01')).toBe(false);
    expect(programRuns('PCSA', 'REHAB', 'OR', '2025-12-31')).toBe(false);
    expect(programRuns('PCSA', 'REHAB', 'OR', '2026-01-01')).toBe(true);
    expect(programRuns('PCSA', 'REHAB', 'WA', '2025-09-01')).toBe(true);
    // MWEP: everywhere from 2026-03-01.
    for (const state of planStates.MWEP) {
      expect(programRuns('MWEP', 'REHAB', state, '2026-02-28')).toBe(false);
      expect(programRuns('MWEP', 'REHAB', state, '2026-03-01')).toBe(true);
    }
    // Everything else: since 2024-01-01.
    const exceptions = new Set(['GLCH/OH', 'GLCH/IN', 'SBMP/GA', 'PCSA/OR', ...planStates.MWEP.map((s) => `MWEP/${s}`)]);
    for (const planId of planIds) {
      for (const state of planStates[planId]) {
        if (exceptions.has(`${planId}/${state}`)) continue;
        const rows = planPrograms.filter((r) => r.planId === planId && r.program === 'REHAB' && r.state === state);
        expect(rows).toEqual([{ planId, program: 'REHAB', state, startsOn: '2024-01-01', endsOn: null }]);
      }
    }
  });
});

describe('provider directory', () => {
  it('has valid, unique NPIs, 1xxxxxxxxx for physicians and 1/2xxxxxxxxx for facilities', () => {
    for (const p of providers) expect({ npi: p.npi, valid: npiValid(p.npi) }).toEqual({ npi: p.npi, valid: true });
    expect(new Set(providers.map((p) => p.npi)).size).toBe(providers.length);
    for (const p of physicians) expect(p.npi).toMatch(/^1/);
    for (const p of facilities) expect(p.npi).toMatch(/^[12]/);
  });

  it('has at least 40 physicians, several on every roster TIN, and they bill under a roster TIN', () => {
    expect(physicians.length).toBeGreaterThanOrEqual(40);
    for (const p of physicians) {
      expect(p.tin).toMatch(/^\d{9}$/);
      expect(rosterTins.has(p.tin!)).toBe(true);
      expect(p.services).toEqual([]);
      const { org, plans } = rosterTins.get(p.tin!)!;
      expect(p.state).toBe(org.state);
      expect(p.networks.map((n) => n.planId).sort()).toEqual([...plans].sort());
    }
    for (const tin of rosterTins.keys()) {
      expect({ tin, count: physicians.filter((p) => p.tin === tin).length >= 3 }).toEqual({ tin, count: true });
    }
    const specialties = new Set(physicians.map((p) => p.specialty));
    for (const s of ['Family Medicine', 'Orthopedic Surgery', 'Neurology', 'Cardiology', 'Internal Medicine', 'Physical Medicine and Rehabilitation', 'Hematology and Oncology', 'Pulmonology', 'Gastroenterology', 'Pediatrics']) {
      expect(specialties).toContain(s);
    }
  });

  it('has at least 40 facilities, each with known services and no TIN, listed with the plans of its state', () => {
    expect(facilities.length).toBeGreaterThanOrEqual(40);
    for (const f of facilities) {
      expect(f.tin).toBeNull();
      expect(f.services.length).toBeGreaterThan(0);
      expect(new Set(f.services).size).toBe(f.services.length);
      for (const s of f.services) expect(FACILITY_SERVICES).toContain(s);
      expect(f.networks.length).toBeGreaterThan(0);
      for (const n of f.networks) expect(planStates[n.planId]).toContain(f.state);
    }
  });

  it('gives an office a choice in every state of every plan', () => {
    const offering = (planId: PlanId, state: string, service: FacilityService) =>
      facilities.filter((f) => f.state === state && f.services.includes(service) && inNetwork(f, planId) === true);
    for (const planId of planIds) {
      for (const state of planStates[planId]) {
        const where = `${planId}/${state}`;
        expect({ where, facilities: facilities.filter((f) => f.state === state && inNetwork(f, planId)).length >= 3 }).toEqual({ where, facilities: true });
        expect({ where, mri: offering(planId, state, 'MRI').length >= 2 }).toEqual({ where, mri: true });
        expect({ where, ct: offering(planId, state, 'CT').length >= 1 }).toEqual({ where, ct: true });
        if (planPrograms.some((r) => r.planId === planId && r.program === 'REHAB' && r.state === state)) {
          expect({ where, pt: offering(planId, state, 'PT').length >= 1 }).toEqual({ where, pt: true });
        }
      }
    }
    // And some choices are out of network.
    expect(facilities.filter((f) => f.networks.some((n) => !n.inNetwork)).length).toBeGreaterThanOrEqual(3);
  });

  it('has plausible contact details: ZIP, fictitious E.164 phone, street', () => {
    for (const p of providers) {
      expect(p.zip).toMatch(/^\d{5}$/);
      expect(p.phone).toMatch(/^\+1[2-9]\d{2}55501\d{2}$/);
      expect(p.line1).toMatch(/^\d+ \S/);
      expect(p.state).toMatch(/^[A-Z]{2}$/);
      expect(p.name.length).toBeGreaterThan(3);
    }
    expect(new Set(providers.map((p) => p.phone)).size).toBe(providers.length);
  });
});

describe('members', () => {
  const prefix: Record<PlanId, string> = { NEBHP: 'NEB', GLCH: 'GLC', SBMP: 'SBM', PCSA: 'PCS', MWEP: 'MWE' };

  it('has at least 200 members with unique ids of the plan prefix and 9 digits', () => {
    expect(members.length).toBeGreaterThanOrEqual(200);
    expect(new Set(members.map((m) => m.id)).size).toBe(members.length);
    for (const m of members) expect(m.id).toMatch(new RegExp(`^${prefix[m.planId]}\\d{9}$`));
  });

  it('puts every member in a state its plan serves, and members in every such state', () => {
    for (const m of members) expect(planStates[m.planId]).toContain(m.state);
    for (const planId of planIds) {
      for (const state of planStates[planId]) {
        expect(members.filter((m) => m.planId === planId && m.state === state).length).toBeGreaterThanOrEqual(5);
      }
    }
  });

  it('has valid dates: born before eligible, eligibility not ending before it starts', () => {
    for (const m of members) {
      expect(validDate(m.birthDate)).toBe(true);
      expect(validDate(m.eligibleFrom)).toBe(true);
      expect(m.birthDate <= m.eligibleFrom).toBe(true);
      if (m.eligibleTo !== null) {
        expect(validDate(m.eligibleTo)).toBe(true);
        expect(m.eligibleTo >= m.eligibleFrom).toBe(true);
      }
      expect(['F', 'M', 'U']).toContain(m.sex);
      expect(m.firstName.trim()).toBe(m.firstName);
      expect(m.lastName.trim()).toBe(m.lastName);
    }
  });

  it('spans ages 2 to 95, with Medicare Advantage members 65 and over', () => {
    const ages = members.map((m) => ageOn(m.birthDate, AGES_AS_OF));
    expect(Math.min(...ages)).toBe(2);
    expect(Math.max(...ages)).toBe(95);
    for (const m of members.filter((x) => x.planId === 'PCSA')) expect(ageOn(m.birthDate, AGES_AS_OF)).toBeGreaterThanOrEqual(65);
  });

  it('tells any two members apart by first name, last name and birth date', () => {
    const keys = members.map((m) => `${m.firstName}|${m.lastName}|${m.birthDate}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('includes ended, future and later-REHAB members on purpose', () => {
    expect(members.some((m) => m.eligibleTo?.startsWith('2025-'))).toBe(true);
    expect(members.some((m) => m.eligibleTo === '2026-06-30')).toBe(true);
    expect(members.some((m) => m.eligibleFrom === '2027-01-01')).toBe(true);
    expect(members.filter((m) => m.planId === 'GLCH' && (m.state === 'OH' || m.state === 'IN')).length).toBeGreaterThanOrEqual(10);
  });
});

describe('fixtures', () => {
  it('names members with the stated properties', () => {
    const today = '2026-11-01';
    const everyday = member(fixtures.eligibleNebhpMember);
    expect(everyday).toMatchObject({ planId: 'NEBHP', state: 'MA', eligibleTo: null });
    expect(eligibleOn(everyday, today)).toBe(true);
    expect(ageOn(everyday.birthDate, AGES_AS_OF)).toBeGreaterThanOrEqual(18);

    expect(member(fixtures.endedMember).eligibleTo).toMatch(/^2025-/);
    expect(member(fixtures.endedMidYearMember).eligibleTo).toBe('2026-06-30');
    expect(member(fixtures.futureMember)).toMatchObject({ eligibleFrom: '2027-01-01', eligibleTo: null });

    for (const [id, planId, state] of [
      [fixtures.glchOhioMember, 'GLCH', 'OH'],
      [fixtures.glchIndianaMember, 'GLCH', 'IN'],
      [fixtures.glchMichiganMember, 'GLCH', 'MI'],
      [fixtures.sbmpGeorgiaMember, 'SBMP', 'GA'],
      [fixtures.pcsaOregonMember, 'PCSA', 'OR'],
      [fixtures.mwepColoradoMember, 'MWEP', 'CO'],
    ] as const) {
      const m = member(id);
      expect(m).toMatchObject({ planId, state, eligibleTo: null });
      expect(eligibleOn(m, today)).toBe(true);
    }
    expect(programRuns('GLCH', 'REHAB', 'OH', today)).toBe(false);
    expect(programRuns('GLCH', 'REHAB', 'MI', today)).toBe(true);
    expect(programRuns('SBMP', 'REHAB', 'GA', today)).toBe(false);
    expect(programRuns('PCSA', 'REHAB', 'OR', '2025-10-01')).toBe(false);
    expect(programRuns('MWEP', 'REHAB', 'CO', '2026-01-15')).toBe(false);

    expect(ageOn(member(fixtures.youngestMember).birthDate, AGES_AS_OF)).toBe(2);
    expect(ageOn(member(fixtures.oldestMember).birthDate, AGES_AS_OF)).toBe(95);

    const [a, b] = fixtures.sameNameMembers.map(member);
    expect(a!.firstName).toBe(b!.firstName);
    expect(a!.lastName).toBe(b!.lastName);
    expect(a!.birthDate).not.toBe(b!.birthDate);
    const household = fixtures.sameLastNameMembers.map(member);
    expect(new Set(household.map((m) => m.lastName)).size).toBe(1);
    expect(new Set(household.map((m) => `${m.planId}/${m.state}`))).toEqual(new Set(['NEBHP/MA']));
  });

  it('names physicians with the stated TIN, specialty and networks', () => {
    const expectPhysician = (npi: string, tin: string, specialty: string) =>
      expect(provider(npi)).toMatchObject({ kind: 'ORDERING_PHYSICIAN', tin, specialty });
    expectPhysician(fixtures.harborviewPhysician, '041234567', 'Family Medicine');
    expect(inNetwork(provider(fixtures.harborviewPhysician), 'NEBHP')).toBe(true);
    expect(inNetwork(provider(fixtures.harborviewPhysician), 'GLCH')).toBe(true);
    expect(provider(fixtures.harborviewOutOfNetworkPhysician).tin).toBe('041234567');
    expect(inNetwork(provider(fixtures.harborviewOutOfNetworkPhysician), 'NEBHP')).toBe(true);
    expect(inNetwork(provider(fixtures.harborviewOutOfNetworkPhysician), 'GLCH')).toBe(false);
    expectPhysician(fixtures.lakeshoreOncologist, '361112222', 'Hematology and Oncology');
    expectPhysician(fixtures.desertSunOrthopedist, '861234500', 'Orthopedic Surgery');
    expect(provider(fixtures.desertSunOrthopedist).networks.every((n) => n.inNetwork)).toBe(true);
    expect(provider(fixtures.desertSunOutOfNetworkPhysician).tin).toBe('861234500');
    expect(inNetwork(provider(fixtures.desertSunOutOfNetworkPhysician), 'PCSA')).toBe(false);
    expect(inNetwork(provider(fixtures.desertSunOutOfNetworkPhysician), 'SBMP')).toBe(true);
    expectPhysician(fixtures.baysidePhysiatrist, '943330001', 'Physical Medicine and Rehabilitation');
    expectPhysician(fixtures.piedmontNeurologist, '582224444', 'Neurology');
    expectPhysician(fixtures.frontRangeCardiologist, '841010102', 'Cardiology');
    expect(inNetwork(provider(fixtures.frontRangeCardiologist), 'GLCH')).toBe(true);
  });

  it('names facilities with the stated place, services and networks', () => {
    const boston = provider(fixtures.bostonMriFacility);
    expect(boston).toMatchObject({ kind: 'SERVICING_FACILITY', city: 'Boston', state: 'MA' });
    expect(boston.services).toContain('MRI');
    expect(inNetwork(boston, 'NEBHP')).toBe(true);

    const bostonOut = provider(fixtures.bostonOutOfNetworkMriFacility);
    expect(bostonOut).toMatchObject({ kind: 'SERVICING_FACILITY', city: 'Boston', state: 'MA', services: ['MRI'] });
    expect(inNetwork(bostonOut, 'NEBHP')).toBe(false);

    const maRehab = provider(fixtures.massachusettsRehabFacility);
    expect(maRehab).toMatchObject({ kind: 'SERVICING_FACILITY', state: 'MA', services: ['PT', 'OT', 'SPEECH'] });
    expect(inNetwork(maRehab, 'NEBHP')).toBe(true);

    const ohRehab = provider(fixtures.ohioRehabFacility);
    expect(ohRehab).toMatchObject({ kind: 'SERVICING_FACILITY', state: 'OH' });
    expect(ohRehab.services).toContain('PT');
    expect(inNetwork(ohRehab, 'GLCH')).toBe(true);

    const az = provider(fixtures.arizonaSplitNetworkMriFacility);
    expect(az).toMatchObject({ kind: 'SERVICING_FACILITY', state: 'AZ' });
    expect(az.services).toContain('MRI');
    expect(inNetwork(az, 'MWEP')).toBe(true);
    expect(inNetwork(az, 'SBMP')).toBe(false);
  });
});
