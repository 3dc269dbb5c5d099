/**
 * Fictitious reference data beside the roster: where each plan runs which program, the provider
 * directory (ordering physicians of the roster's TINs and servicing facilities) and members.
 * Every person, facility, street address, phone number (555-01xx) and member id is made up;
 * cities and ZIP codes are real so that addresses look right. NPIs are built from made-up
 * prefixes (1 900 000 xxx for physicians, 2 900 000 xxx for facilities) with a valid check digit.
 *
 * Deterministic: repetitive rows come from small tables and a seeded PRNG, so every run (and
 * every test) sees the same data. Dates are 'YYYY-MM-DD'; an `endsOn`/`eligibleTo` date is the
 * last day covered (inclusive).
 */
import type { ClinicalProgram, ProviderKind } from '../../generated/prisma/enums';
import { npiWithCheckDigit } from '../../domain/npi';
import { organizations } from './roster';

// ---- Types ------------------------------------------------------------------------------------

export type PlanId = 'NEBHP' | 'GLCH' | 'SBMP' | 'PCSA' | 'MWEP';

export const FACILITY_SERVICES = ['MRI', 'CT', 'PET', 'NUCLEAR_CARDIOLOGY', 'ECHO', 'ULTRASOUND', 'PT', 'OT', 'SPEECH'] as const;
export type FacilityService = (typeof FACILITY_SERVICES)[number];

export interface PlanProgramRow {
  planId: PlanId;
  program: ClinicalProgram;
  state: string;
  startsOn: string;
  /** Last day the program runs; null while it runs. */
  endsOn: string | null;
}

export interface ProviderNetworkRow {
  planId: PlanId;
  inNetwork: boolean;
}

export interface ProviderRow {
  npi: string;
  kind: ProviderKind;
  name: string;
  specialty: string;
  /** The roster TIN a physician bills under; null for facilities. */
  tin: string | null;
  line1: string;
  city: string;
  state: string;
  zip: string;
  /** E.164. */
  phone: string;
  /** What a facility performs; empty for physicians. */
  services: FacilityService[];
  networks: ProviderNetworkRow[];
}

export interface MemberRow {
  /** The id on the member's card: the plan's 3-letter prefix and 9 digits. */
  id: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  sex: 'F' | 'M' | 'U';
  planId: PlanId;
  state: string;
  eligibleFrom: string;
  /** Last day of eligibility; null while eligible. */
  eligibleTo: string | null;
}

// ---- Where the plans are -----------------------------------------------------------------------

/**
 * States each plan serves. SBMP also serves AZ: Desert Sun Orthopedics (Phoenix) has a TIN that
 * carries SBMP alone, and a TIN's practice should sit in a state one of its plans serves. Some
 * TINs also carry a plan from outside their state (Harborview/GLCH, Lakeshore/MWEP,
 * Desert Sun/PCSA, Piedmont/NEBHP, Front Range/GLCH): out-of-area contracts for members who
 * travel or live across a border, as the roster has them.
 */
export const planStates: Record<PlanId, string[]> = {
  NEBHP: ['MA', 'NH', 'RI', 'CT', 'ME'],
  GLCH: ['MI', 'OH', 'IL', 'WI', 'IN'],
  SBMP: ['TX', 'FL', 'GA', 'NC', 'AZ'],
  PCSA: ['CA', 'OR', 'WA'],
  MWEP: ['CO', 'UT', 'AZ', 'NM'],
};

const PLAN_IDS = Object.keys(planStates) as PlanId[];

// ---- Programs ----------------------------------------------------------------------------------

/** The date both programs began wherever nothing below says otherwise. */
const PROGRAMS_SINCE = '2024-01-01';

type Period = Pick<PlanProgramRow, 'startsOn' | 'endsOn'>;

/**
 * Where REHAB (PT/OT/speech review) departs from "every state of the plan since 2024-01-01".
 * An empty list means the plan does not review REHAB in that state.
 */
const REHAB_EXCEPTIONS: Partial<Record<PlanId, Record<string, Period[]>>> = {
  GLCH: {
    // Ohio and Indiana contracts delegate therapy review to the plan until the end of 2026.
    OH: [{ startsOn: '2027-01-01', endsOn: null }],
    IN: [{ startsOn: '2027-01-01', endsOn: null }],
  },
  SBMP: {
    // Georgia's Medicaid contract carves outpatient therapy out of the plan: no REHAB review.
    GA: [],
  },
  PCSA: {
    // Oregon review was paused for the second half of 2025 (vendor change) and restarted in 2026.
    OR: [
      { startsOn: PROGRAMS_SINCE, endsOn: '2025-06-30' },
      { startsOn: '2026-01-01', endsOn: null },
    ],
  },
  // The employer plan added therapy review to its benefit on 2026-03-01, in all its states.
  MWEP: Object.fromEntries(planStates.MWEP.map((s) => [s, [{ startsOn: '2026-03-01', endsOn: null }]])),
};

export const planPrograms: PlanProgramRow[] = PLAN_IDS.flatMap((planId) =>
  planStates[planId].flatMap((state): PlanProgramRow[] => {
    const rehab = REHAB_EXCEPTIONS[planId]?.[state] ?? [{ startsOn: PROGRAMS_SINCE, endsOn: null }];
    return [
      { planId, program: 'IMAGING', state, startsOn: PROGRAMS_SINCE, endsOn: null },
      ...rehab.map((p): PlanProgramRow => ({ planId, program: 'REHAB', state, ...p })),
    ];
  }),
);

// ---- Determinism helpers -----------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from a string (FNV-1a), so a row's random details do not shift when other rows change. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function isoDate(y: number, monthIndex: number, day: number): string {
  return new Date(Date.UTC(y, monthIndex, day)).toISOString().slice(0, 10);
}

// ---- Places ------------------------------------------------------------------------------------

interface City {
  city: string;
  zip: string;
  area: string;
}

const city = (name: string, zip: string, area: string): City => ({ city: name, zip, area });

/** Real cities with a ZIP and area code of each (addresses on them are made up). */
const CITIES: Record<string, City[]> = {
  MA: [city('Boston', '02115', '617'), city('Worcester', '01608', '508'), city('Springfield', '01103', '413'), city('Cambridge', '02139', '617')],
  NH: [city('Manchester', '03101', '603'), city('Nashua', '03060', '603'), city('Concord', '03301', '603')],
  RI: [city('Providence', '02903', '401'), city('Warwick', '02886', '401'), city('Cranston', '02920', '401')],
  CT: [city('Hartford', '06103', '860'), city('New Haven', '06510', '203'), city('Stamford', '06901', '203')],
  ME: [city('Portland', '04101', '207'), city('Bangor', '04401', '207'), city('Lewiston', '04240', '207')],
  MI: [city('Detroit', '48226', '313'), city('Grand Rapids', '49503', '616'), city('Lansing', '48933', '517'), city('Ann Arbor', '48104', '734')],
  OH: [city('Columbus', '43215', '614'), city('Cleveland', '44113', '216'), city('Cincinnati', '45202', '513')],
  IL: [city('Chicago', '60611', '312'), city('Springfield', '62701', '217'), city('Peoria', '61602', '309'), city('Naperville', '60540', '630')],
  WI: [city('Milwaukee', '53202', '414'), city('Madison', '53703', '608'), city('Green Bay', '54301', '920')],
  IN: [city('Indianapolis', '46204', '317'), city('Fort Wayne', '46802', '260'), city('Evansville', '47708', '812')],
  TX: [city('Houston', '77002', '713'), city('Dallas', '75201', '214'), city('San Antonio', '78205', '210'), city('Austin', '78701', '512')],
  FL: [city('Miami', '33130', '305'), city('Orlando', '32801', '407'), city('Tampa', '33602', '813'), city('Jacksonville', '32202', '904')],
  GA: [city('Atlanta', '30303', '404'), city('Savannah', '31401', '912'), city('Augusta', '30901', '706')],
  NC: [city('Charlotte', '28202', '704'), city('Raleigh', '27601', '919'), city('Greensboro', '27401', '336')],
  AZ: [city('Phoenix', '85016', '602'), city('Tucson', '85701', '520'), city('Mesa', '85201', '480'), city('Flagstaff', '86001', '928')],
  CA: [city('Los Angeles', '90012', '213'), city('San Francisco', '94105', '415'), city('San Diego', '92101', '619'), city('Sacramento', '95814', '916')],
  OR: [city('Portland', '97205', '503'), city('Eugene', '97401', '541'), city('Salem', '97301', '503')],
  WA: [city('Seattle', '98101', '206'), city('Spokane', '99201', '509'), city('Tacoma', '98402', '253')],
  CO: [city('Denver', '80202', '303'), city('Colorado Springs', '80903', '719'), city('Fort Collins', '80524', '970'), city('Aurora', '80012', '303')],
  UT: [city('Salt Lake City', '84101', '801'), city('Provo', '84601', '801'), city('Ogden', '84401', '801')],
  NM: [city('Albuquerque', '87102', '505'), city('Santa Fe', '87501', '505'), city('Las Cruces', '88001', '575')],
};

const STREETS = [
  'Medical Park Drive', 'Commerce Way', 'Maple Avenue', 'Washington Street', 'Oak Street', 'Lincoln Avenue',
  'Park Place', 'Riverside Drive', 'Main Street', 'Elm Street', 'Jefferson Boulevard', 'Cedar Lane',
  'Highland Avenue', 'Market Street', 'Franklin Street', 'Summit Road', 'Hospital Drive', 'Center Street',
];

/** A made-up street address, stable for a given key. */
function streetAddress(key: string): string {
  const rand = prng(seedOf(key));
  const number = 100 + Math.floor(rand() * 8900);
  const street = pick(rand, STREETS);
  return rand() < 0.35 ? `${number} ${street}, Suite ${100 + Math.floor(rand() * 400)}` : `${number} ${street}`;
}

/** Fictitious phone numbers: 555-0100..555-0199 of the area code, handed out in order. */
const phonesUsed = new Map<string, number>();
function nextPhone(area: string): string {
  const n = phonesUsed.get(area) ?? 0;
  if (n > 99) throw new Error(`Out of 555-01xx numbers in area code ${area}`);
  phonesUsed.set(area, n + 1);
  return `+1${area}55501${pad(n, 2)}`;
}

// ---- Ordering physicians -----------------------------------------------------------------------

type PhysicianSpecialty =
  | 'Family Medicine'
  | 'Internal Medicine'
  | 'Pediatrics'
  | 'Orthopedic Surgery'
  | 'Neurology'
  | 'Cardiology'
  | 'Physical Medicine and Rehabilitation'
  | 'Hematology and Oncology'
  | 'Pulmonology'
  | 'Gastroenterology';

/** [name with credential, specialty, plans of the TIN for which the physician is NOT in network]. */
type PhysicianSpec = [string, PhysicianSpecialty, PlanId[]?];

/** Several physicians per roster TIN; the specialties fit the practice. */
const PHYSICIANS_BY_TIN: Record<string, PhysicianSpec[]> = {
  // Harborview Family Medicine (Boston)
  '041234567': [
    ['Emily Chen, MD', 'Family Medicine'],
    ["Marcus O'Neill, MD", 'Internal Medicine'],
    ['Priya Raman, DO', 'Family Medicine'],
    ['Daniel Kowalski, MD', 'Pediatrics'],
    // Joined in 2026; GLCH credentialing not finished yet.
    ['Aisha Bello, MD', 'Internal Medicine', ['GLCH']],
    ['Thomas Brennan, MD', 'Family Medicine'],
  ],
  '041234568': [
    ['Sofia Alvarez, MD', 'Pediatrics'],
    ['Kevin Tran, MD', 'Internal Medicine'],
    ['Rachel Goldberg, DO', 'Family Medicine'],
    ['Samuel Osei, MD', 'Pulmonology'],
    ['Ines Cardoso, MD', 'Gastroenterology'],
  ],
  // Lakeshore Imaging Center (Chicago): its referring specialists
  '361112222': [
    ['Hannah Lindqvist, MD', 'Hematology and Oncology'],
    ['Javier Morales, MD', 'Gastroenterology'],
    ['Grace Park, MD', 'Pulmonology'],
    ['Robert Jankowski, MD', 'Neurology'],
    ['Fatima Siddiqui, MD', 'Internal Medicine'],
    ['Patrick Doyle, MD', 'Hematology and Oncology'],
  ],
  // Desert Sun Orthopedics (Phoenix)
  '861234500': [
    ['Michael Begay, MD', 'Orthopedic Surgery'],
    ['Laura Whitfield, MD', 'Orthopedic Surgery'],
    ['Carlos Ibarra, DO', 'Physical Medicine and Rehabilitation'],
    // Left the PCSA network at the end of 2025.
    ['Nina Petrova, MD', 'Orthopedic Surgery', ['PCSA']],
    ['Derek Yazzie, MD', 'Physical Medicine and Rehabilitation'],
  ],
  '861234501': [
    ['Andrea Castillo, MD', 'Orthopedic Surgery'],
    ['James Whitaker, MD', 'Orthopedic Surgery'],
    ['Mei Lin Wong, DO', 'Physical Medicine and Rehabilitation'],
  ],
  // Bayside Rehabilitation Partners (San Francisco)
  '943330001': [
    ['Olivia Nakamura, MD', 'Physical Medicine and Rehabilitation'],
    ['Ethan Rosenberg, MD', 'Orthopedic Surgery'],
    ['Lucia Ferreira, MD', 'Neurology'],
    ['Arjun Mehta, DO', 'Physical Medicine and Rehabilitation'],
    ['Kathleen Murphy, MD', 'Internal Medicine'],
  ],
  // Piedmont Neurology Associates (Atlanta)
  '582224444': [
    ['Andre Washington, MD', 'Neurology'],
    ['Elizabeth Hargrove, MD', 'Neurology'],
    ['Yusuf Rahman, MD', 'Neurology'],
    ['Caroline Dubois, MD', 'Neurology'],
    ['Marcus Greene, DO', 'Physical Medicine and Rehabilitation'],
  ],
  // Front Range Cardiology Group (Denver)
  '841010101': [
    ['Steven Halvorsen, MD', 'Cardiology'],
    ['Maria Gonzales, MD', 'Cardiology'],
    ['Benjamin Adeyemi, MD', 'Cardiology'],
    ['Jennifer Walsh, MD', 'Internal Medicine'],
  ],
  '841010102': [
    ['David Kim, MD', 'Cardiology'],
    ['Rebecca Stone, MD', 'Cardiology'],
    ['Omar Haddad, MD', 'Internal Medicine'],
    ['Tara Nguyen, MD', 'Cardiology'],
  ],
};

const AREA_BY_CITY: Record<string, string> = Object.fromEntries(
  Object.entries(CITIES).flatMap(([state, cities]) => cities.map((c) => [`${c.city}, ${state}`, c.area])),
);

function physicians(): ProviderRow[] {
  let seq = 0;
  return organizations.flatMap((org) =>
    org.tins.flatMap(({ tin, plans }) =>
      (PHYSICIANS_BY_TIN[tin] ?? []).map(([name, specialty, outOfNetwork = []]): ProviderRow => {
        const area = AREA_BY_CITY[`${org.city}, ${org.state}`];
        if (!area) throw new Error(`No area code for ${org.city}, ${org.state}`);
        return {
          npi: npiWithCheckDigit(`190000${pad(++seq, 3)}`),
          kind: 'ORDERING_PHYSICIAN',
          name,
          specialty,
          tin,
          line1: org.line2 ? `${org.line1}, ${org.line2}` : org.line1,
          city: org.city,
          state: org.state,
          zip: org.zip,
          phone: nextPhone(area),
          services: [],
          networks: plans.map((planId) => ({ planId: planId as PlanId, inNetwork: !outOfNetwork.includes(planId as PlanId) })),
        };
      }),
    ),
  );
}

// ---- Servicing facilities ----------------------------------------------------------------------

/** What kind of place a facility is: its directory specialty and the services it performs. */
const FACILITY_KINDS = {
  IMAGING_CENTER: { specialty: 'Diagnostic Radiology', services: ['MRI', 'CT', 'ULTRASOUND'] },
  IMAGING_CENTER_PET: { specialty: 'Diagnostic Radiology', services: ['MRI', 'CT', 'PET', 'ULTRASOUND'] },
  OPEN_MRI: { specialty: 'Diagnostic Radiology', services: ['MRI'] },
  HOSPITAL_RADIOLOGY: {
    specialty: 'Hospital Radiology',
    services: ['MRI', 'CT', 'PET', 'NUCLEAR_CARDIOLOGY', 'ECHO', 'ULTRASOUND'],
  },
  CARDIOLOGY_LAB: { specialty: 'Cardiovascular Diagnostics', services: ['NUCLEAR_CARDIOLOGY', 'ECHO'] },
  REHAB_CLINIC: { specialty: 'Outpatient Rehabilitation', services: ['PT', 'OT'] },
  REHAB_FULL: { specialty: 'Outpatient Rehabilitation', services: ['PT', 'OT', 'SPEECH'] },
  PEDIATRIC_THERAPY: { specialty: 'Pediatric Rehabilitation', services: ['PT', 'OT', 'SPEECH'] },
} satisfies Record<string, { specialty: string; services: FacilityService[] }>;

/** [name, kind, index into the state's CITIES, plans serving the state that have it OUT of network]. */
type FacilitySpec = [string, keyof typeof FACILITY_KINDS, number, PlanId[]?];

/**
 * Three to six facilities per state, so an office always has a choice. Each is in network for
 * every plan serving its state except the plans listed last; those states get an extra facility
 * so that each plan keeps at least two in-network MRI sites.
 */
const FACILITIES_BY_STATE: Record<string, FacilitySpec[]> = {
  MA: [
    ['Back Bay Imaging Associates', 'IMAGING_CENTER_PET', 0],
    ['Fenway Open MRI', 'OPEN_MRI', 0, ['NEBHP']],
    ['Worcester Hills Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Pioneer Valley Heart Diagnostics', 'CARDIOLOGY_LAB', 2],
    ['Charles River Physical Therapy', 'REHAB_FULL', 3],
  ],
  NH: [
    ['Merrimack Valley Imaging', 'IMAGING_CENTER', 0],
    ['Granite Ridge Hospital Radiology', 'HOSPITAL_RADIOLOGY', 2],
    ['Souhegan Rehab & Sports Therapy', 'REHAB_CLINIC', 1],
  ],
  RI: [
    ['Ocean State Diagnostic Imaging', 'IMAGING_CENTER', 0],
    ['Narragansett Bay Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Pawtuxet Physical & Occupational Therapy', 'REHAB_FULL', 2],
  ],
  CT: [
    ['Capitol Region MRI & CT', 'IMAGING_CENTER', 0],
    ['Elm City Hospital Imaging', 'HOSPITAL_RADIOLOGY', 1],
    ['Long Island Sound Rehabilitation', 'REHAB_CLINIC', 2],
    ['Nutmeg Pediatric Therapy', 'PEDIATRIC_THERAPY', 0],
  ],
  ME: [
    ['Casco Bay Imaging', 'IMAGING_CENTER', 0],
    ['Penobscot Valley Hospital Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Androscoggin Rehab Center', 'REHAB_FULL', 2],
  ],
  MI: [
    ['Motor City Imaging Center', 'IMAGING_CENTER_PET', 0],
    ['Grand River Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Capital Area Cardiac Imaging', 'CARDIOLOGY_LAB', 2],
    ['Huron Valley Physical Therapy', 'REHAB_CLINIC', 3],
  ],
  OH: [
    ['Scioto Imaging Partners', 'IMAGING_CENTER', 0],
    ['Cuyahoga Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Riverbend Rehab & Speech', 'REHAB_FULL', 2],
    ['Buckeye Kids Therapy', 'PEDIATRIC_THERAPY', 0],
  ],
  IL: [
    ['Gold Coast Diagnostic Imaging', 'IMAGING_CENTER_PET', 0],
    ['Prairie State Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Illinois River Imaging', 'IMAGING_CENTER', 2],
    ['DuPage Open MRI', 'OPEN_MRI', 3, ['GLCH']],
    ['Lakefront Physical Therapy', 'REHAB_CLINIC', 0],
  ],
  WI: [
    ['Brew City Imaging', 'IMAGING_CENTER', 0],
    ['Four Lakes Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Fox River Rehabilitation', 'REHAB_FULL', 2],
  ],
  IN: [
    ['Circle City Imaging', 'IMAGING_CENTER', 0],
    ['Three Rivers Hospital Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Hoosier Heart Imaging', 'CARDIOLOGY_LAB', 0],
    ['Ohio Valley Therapy Services', 'REHAB_CLINIC', 2],
  ],
  TX: [
    ['Bayou City Imaging', 'IMAGING_CENTER_PET', 0],
    ['Trinity Bluffs Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Alamo Heights Diagnostic Imaging', 'IMAGING_CENTER', 2, ['SBMP']],
    ['Hill Country Rehabilitation', 'REHAB_FULL', 3],
    ['Lone Star Pediatric Therapy', 'PEDIATRIC_THERAPY', 0],
  ],
  FL: [
    ['Biscayne Imaging Center', 'IMAGING_CENTER', 0],
    ['Central Florida Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Tampa Bay Heart Diagnostics', 'CARDIOLOGY_LAB', 2],
    ['First Coast Physical Therapy', 'REHAB_CLINIC', 3],
    ['Sunshine Kids Therapy', 'PEDIATRIC_THERAPY', 0, ['SBMP']],
  ],
  GA: [
    ['Peachtree Diagnostic Imaging', 'IMAGING_CENTER_PET', 0],
    ['Coastal Empire Hospital Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Augusta Riverwalk Imaging', 'IMAGING_CENTER', 2],
    ['Forsyth Park Rehabilitation', 'REHAB_CLINIC', 1],
  ],
  NC: [
    ['Uptown Charlotte Imaging', 'IMAGING_CENTER', 0],
    ['Triangle Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Triad Physical Therapy & Speech', 'REHAB_FULL', 2],
  ],
  AZ: [
    ['Camelback Imaging Center', 'IMAGING_CENTER_PET', 0],
    ['Sonoran Desert Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['East Valley Open MRI', 'OPEN_MRI', 2, ['SBMP']],
    ['San Francisco Peaks Rehabilitation', 'REHAB_CLINIC', 3],
    ['Valley of the Sun Therapy', 'REHAB_FULL', 0],
  ],
  CA: [
    ['Angelino Heights Imaging', 'IMAGING_CENTER_PET', 0],
    ['Golden Hills Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Mission Bay Heart Imaging', 'CARDIOLOGY_LAB', 1],
    ['Gaslamp Open MRI', 'OPEN_MRI', 2, ['PCSA']],
    ['Harbor Point Imaging', 'IMAGING_CENTER', 2],
    ['Capitol Park Rehabilitation', 'REHAB_FULL', 3],
  ],
  OR: [
    ['Willamette Imaging', 'IMAGING_CENTER', 0],
    ['Emerald Valley Hospital Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Cascade Foothills Physical Therapy', 'REHAB_CLINIC', 2],
  ],
  WA: [
    ['Puget Sound Imaging', 'IMAGING_CENTER', 0],
    ['Inland Northwest Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Commencement Bay Rehab', 'REHAB_FULL', 2],
    ['Rainier Heart Diagnostics', 'CARDIOLOGY_LAB', 0],
  ],
  CO: [
    ['Mile High Imaging', 'IMAGING_CENTER_PET', 0],
    ['Cheyenne Mountain Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Horsetooth Physical Therapy', 'REHAB_CLINIC', 2],
    ['Aurora Open MRI', 'OPEN_MRI', 3, ['MWEP']],
    ['Cherry Creek Rehab & Speech', 'REHAB_FULL', 0],
  ],
  UT: [
    ['Wasatch Imaging', 'IMAGING_CENTER', 0],
    ['Bonneville Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 2],
    ['Provo Canyon Physical Therapy', 'REHAB_CLINIC', 1],
  ],
  NM: [
    ['Rio Grande Imaging', 'IMAGING_CENTER', 0],
    ['Sangre de Cristo Medical Center Radiology', 'HOSPITAL_RADIOLOGY', 1],
    ['Organ Mountain Rehabilitation', 'REHAB_FULL', 2],
  ],
};

function facilities(): ProviderRow[] {
  let seq = 0;
  return Object.entries(FACILITIES_BY_STATE).flatMap(([state, specs]) =>
    specs.map(([name, kind, cityIndex, outOfNetwork = []]): ProviderRow => {
      const place = CITIES[state]?.[cityIndex];
      if (!place) throw new Error(`No city ${cityIndex} in ${state} for ${name}`);
      const { specialty, services } = FACILITY_KINDS[kind];
      return {
        npi: npiWithCheckDigit(`290000${pad(++seq, 3)}`),
        kind: 'SERVICING_FACILITY',
        name,
        specialty,
        tin: null,
        line1: streetAddress(name),
        city: place.city,
        state,
        zip: place.zip,
        phone: nextPhone(place.area),
        services: [...services],
        networks: PLAN_IDS.filter((p) => planStates[p].includes(state)).map((planId) => ({
          planId,
          inNetwork: !outOfNetwork.includes(planId),
        })),
      };
    }),
  );
}

export const providers: ProviderRow[] = [...physicians(), ...facilities()];

// ---- Members -----------------------------------------------------------------------------------

/** The date member ages are reckoned against (ages 2 to 95 on this date). */
export const AGES_AS_OF = '2026-11-01';

const MEMBER_PREFIX: Record<PlanId, string> = { NEBHP: 'NEB', GLCH: 'GLC', SBMP: 'SBM', PCSA: 'PCS', MWEP: 'MWE' };

type MemberSpec = [string, string, string, string, MemberRow['sex'], PlanId, string, string, string | null];

/**
 * Members written out because tests name them (see `fixtures`): [id, first, last, birth, sex,
 * plan, state, eligibleFrom, eligibleTo].
 */
const NAMED_MEMBERS: MemberSpec[] = [
  ['NEB100000001', 'Margaret', 'Sullivan', '1958-04-12', 'F', 'NEBHP', 'MA', '2019-01-01', null],
  // One household with a shared last name; two of them share the first name too.
  ['NEB100000002', 'Minh', 'Nguyen', '1962-09-03', 'M', 'NEBHP', 'MA', '2020-03-01', null],
  ['NEB100000003', 'Minh', 'Nguyen', '1991-02-17', 'M', 'NEBHP', 'MA', '2020-03-01', null],
  ['NEB100000004', 'Lan', 'Nguyen', '1964-11-30', 'F', 'NEBHP', 'MA', '2020-03-01', null],
  ['NEB100000005', 'An', 'Nguyen', '2015-06-08', 'U', 'NEBHP', 'MA', '2020-03-01', null],
  ['NEB100000006', 'Robert', 'Fitzgerald', '1950-07-21', 'M', 'NEBHP', 'NH', '2018-05-01', '2025-09-30'],
  ['NEB100000007', 'Chloe', 'Martin', '2000-01-14', 'F', 'NEBHP', 'RI', '2027-01-01', null],
  ['NEB100000008', 'Darnell', 'Brooks', '1979-10-02', 'M', 'NEBHP', 'CT', '2021-02-01', '2026-06-30'],
  ['GLC200000001', 'Tyrone', 'Jackson', '1972-03-28', 'M', 'GLCH', 'OH', '2022-01-01', null],
  ['GLC200000002', 'Ana', 'Kowalczyk', '1985-12-09', 'F', 'GLCH', 'IN', '2023-06-01', null],
  ['GLC200000003', 'Chidi', 'Okafor', '1968-05-19', 'M', 'GLCH', 'MI', '2019-09-01', null],
  ['SBM300000001', 'Lucía', 'Hernández', '2010-08-23', 'F', 'SBMP', 'GA', '2021-04-01', null],
  ['SBM300000002', 'Mateo', 'García', '2024-02-14', 'M', 'SBMP', 'TX', '2024-02-14', null],
  ['SBM300000003', 'José', 'García', '1980-05-05', 'M', 'SBMP', 'TX', '2022-08-01', null],
  ['PCS400000001', 'Evelyn', 'Tanaka', '1931-03-15', 'F', 'PCSA', 'CA', '2018-01-01', null],
  ['PCS400000002', 'Harold', 'Jensen', '1948-06-30', 'M', 'PCSA', 'OR', '2018-01-01', null],
  ['MWE500000001', 'Kai', 'Yazzie', '1988-11-11', 'M', 'MWEP', 'NM', '2024-01-01', null],
  ['MWE500000002', 'Sarah', 'Lindgren', '1983-02-26', 'F', 'MWEP', 'CO', '2020-07-01', null],
];

const FEMALE = [
  'Maria', 'Jennifer', 'Aaliyah', 'Mei', 'Fatima', 'Olga', 'Priya', 'Keisha', 'Sofia', 'Hannah', 'Ngoc', 'Yesenia',
  'Chloe', 'Esther', 'Amara', 'Ingrid', 'Lakshmi', 'Rosa', 'Svetlana', 'Naomi', 'Guadalupe', 'Emma', 'Ava', 'Zoë',
  'Leilani', 'Aiyana', 'Hye-jin', 'Siobhan', 'Dolores', 'Beatriz', 'Ruth', 'Imani',
];
const MALE = [
  'James', 'Miguel', 'Wei', 'Mohammed', 'Dmitri', 'Jamal', 'Raj', 'Luis', 'Noah', 'Liam', 'Ethan', 'Kwame', 'Tuan',
  'Hiroshi', 'José', 'Darnell', 'Patrick', 'Ahmed', 'Santiago', 'Elijah', 'Oluwaseun', 'Tomasz', 'Giovanni', 'Hamza',
  'Mateo', 'Arturo', 'Bao', 'Ravi', 'Lars', 'Walter', 'Frank', 'Joaquín',
];
const UNISEX = ['Alex', 'Jordan', 'Taylor', 'Riley', 'Casey', 'Morgan', 'Sam', 'Avery'];
const LAST = [
  'Smith', 'Johnson', 'García', 'Martinez', 'Nguyen', 'Kim', 'Patel', 'Williams', 'Brown', 'Jones', 'Rodriguez',
  'Hernández', 'Lopez', 'Lee', 'Chen', 'Wang', 'Singh', 'Okafor', 'Adeyemi', 'Kowalski', 'Novak', 'Rossi', 'Murphy',
  "O'Brien", 'Sullivan', 'Cohen', 'Levy', 'Yamamoto', 'Tanaka', 'Park', 'Choi', 'Haddad', 'Khan', 'Ali', 'Begay',
  'Yazzie', 'Jackson', 'Washington', 'Robinson', 'Walker', 'Thompson', 'Anderson', 'Johansson', 'Larsen', 'Schmidt',
  'Muñoz', 'Peña', 'Smith-Reyes', 'Horvat', 'Mensah', 'Dubois', 'Fitzgerald', 'Nakamura', 'Kealoha', 'Brooks',
];

/** How many generated members each plan gets, and their ages (Medicare Advantage: 65 and over). */
const MEMBER_MIX: Record<PlanId, { count: number; minAge: number; maxAge: number }> = {
  NEBHP: { count: 52, minAge: 2, maxAge: 90 },
  GLCH: { count: 52, minAge: 2, maxAge: 90 },
  SBMP: { count: 46, minAge: 2, maxAge: 64 },
  PCSA: { count: 38, minAge: 65, maxAge: 95 },
  MWEP: { count: 40, minAge: 2, maxAge: 64 },
};

function generatedMembers(taken: Set<string>): MemberRow[] {
  const rand = prng(20260101);
  const [refYear, refMonth, refDay] = AGES_AS_OF.split('-').map(Number) as [number, number, number];
  return PLAN_IDS.flatMap((planId) => {
    const { count, minAge, maxAge } = MEMBER_MIX[planId];
    const states = planStates[planId];
    return Array.from({ length: count }, (_, i): MemberRow => {
      let id: string;
      do id = MEMBER_PREFIX[planId] + pad(Math.floor(rand() * 1e9), 9);
      while (taken.has(id));
      taken.add(id);

      const roll = rand();
      const sex: MemberRow['sex'] = roll < 0.03 ? 'U' : roll < 0.52 ? 'F' : 'M';
      const firstName = pick(rand, sex === 'U' ? UNISEX : sex === 'F' ? FEMALE : MALE);
      const lastName = pick(rand, LAST);

      // Round-robin over the plan's states so each has members; 1..364 days before the birthday
      // anniversary keeps the age on AGES_AS_OF exactly `age`.
      const state = states[i % states.length] as string;
      const age = minAge + Math.floor(rand() * (maxAge - minAge + 1));
      const birthDate = isoDate(refYear - age, refMonth - 1, refDay - 1 - Math.floor(rand() * 364));

      // Enrolled on the first of a month between 2018 and 2025, not before birth nor, on
      // Medicare Advantage, before the month of the 65th birthday.
      let eligibleFrom = isoDate(2018 + Math.floor(rand() * 8), Math.floor(rand() * 12), 1);
      if (eligibleFrom < birthDate) eligibleFrom = birthDate;
      if (planId === 'PCSA') {
        const turns65 = `${Number(birthDate.slice(0, 4)) + 65}${birthDate.slice(4, 8)}01`;
        if (eligibleFrom < turns65) eligibleFrom = turns65;
      }

      // About 4% ended in 2025, 3% on 2026-06-30, 3% join on 2027-01-01.
      let eligibleTo: string | null = null;
      const status = rand();
      if (status < 0.04 && eligibleFrom < '2025-01-01') eligibleTo = isoDate(2025, Math.floor(rand() * 12) + 1, 0);
      else if (status < 0.07 && eligibleFrom < '2026-06-01') eligibleTo = '2026-06-30';
      else if (status < 0.1) eligibleFrom = '2027-01-01';

      return { id, firstName, lastName, birthDate, sex, planId, state, eligibleFrom, eligibleTo };
    });
  });
}

function buildMembers(): MemberRow[] {
  const named = NAMED_MEMBERS.map(
    ([id, firstName, lastName, birthDate, sex, planId, state, eligibleFrom, eligibleTo]): MemberRow => ({
      id, firstName, lastName, birthDate, sex, planId, state, eligibleFrom, eligibleTo,
    }),
  );
  return [...named, ...generatedMembers(new Set(named.map((m) => m.id)))];
}

export const members: MemberRow[] = buildMembers();

// ---- Fixtures ----------------------------------------------------------------------------------

/** Rows the tests name; test/reference-data.test.ts checks each has the property stated. */
export const fixtures = {
  /** NEBHP, MA, adult, eligible since 2019-01-01 with no end: the everyday happy path. */
  eligibleNebhpMember: 'NEB100000001',
  /** NEBHP, NH: eligibility ended 2025-09-30. */
  endedMember: 'NEB100000006',
  /** NEBHP, CT: eligibility ended 2026-06-30 (a mid-year plan change). */
  endedMidYearMember: 'NEB100000008',
  /** NEBHP, RI: eligible from 2027-01-01, not yet covered. */
  futureMember: 'NEB100000007',
  /** GLCH, OH, eligible: IMAGING reviewed, REHAB only from 2027-01-01. */
  glchOhioMember: 'GLC200000001',
  /** GLCH, IN, eligible: IMAGING reviewed, REHAB only from 2027-01-01. */
  glchIndianaMember: 'GLC200000002',
  /** GLCH, MI, eligible: both programs reviewed since 2024-01-01 (contrast to OH/IN). */
  glchMichiganMember: 'GLC200000003',
  /** SBMP, GA, eligible, a child: no REHAB program in GA. */
  sbmpGeorgiaMember: 'SBM300000001',
  /** PCSA, OR, eligible: REHAB paused 2025-07-01..2025-12-31. */
  pcsaOregonMember: 'PCS400000002',
  /** MWEP, CO, eligible: REHAB reviewed from 2026-03-01. */
  mwepColoradoMember: 'MWE500000002',
  /** SBMP, TX, born 2024-02-14: the youngest (2 on AGES_AS_OF). */
  youngestMember: 'SBM300000002',
  /** PCSA, CA, born 1931-03-15: the oldest (95 on AGES_AS_OF). */
  oldestMember: 'PCS400000001',
  /** NEBHP, MA, two "Minh Nguyen"s told apart only by birth date (1962-09-03, 1991-02-17). */
  sameNameMembers: ['NEB100000002', 'NEB100000003'],
  /** NEBHP, MA, one household named Nguyen: a last name alone finds several members. */
  sameLastNameMembers: ['NEB100000002', 'NEB100000003', 'NEB100000004', 'NEB100000005'],

  /** Emily Chen, MD, Family Medicine, TIN 041234567 (Harborview, Boston), in network NEBHP and GLCH. */
  harborviewPhysician: '1900000013',
  /** Aisha Bello, MD, TIN 041234567: in network NEBHP, OUT of network GLCH. */
  harborviewOutOfNetworkPhysician: '1900000054',
  /** Hannah Lindqvist, MD, Hematology and Oncology, TIN 361112222 (Lakeshore, Chicago). */
  lakeshoreOncologist: '1900000120',
  /** Michael Begay, MD, Orthopedic Surgery, TIN 861234500 (Desert Sun, Phoenix): SBMP, PCSA, MWEP. */
  desertSunOrthopedist: '1900000187',
  /** Nina Petrova, MD, TIN 861234500: OUT of network PCSA, in network SBMP and MWEP. */
  desertSunOutOfNetworkPhysician: '1900000211',
  /** Olivia Nakamura, MD, Physical Medicine and Rehabilitation, TIN 943330001 (Bayside, San Francisco). */
  baysidePhysiatrist: '1900000260',
  /** Andre Washington, MD, Neurology, TIN 582224444 (Piedmont, Atlanta). */
  piedmontNeurologist: '1900000310',
  /** David Kim, MD, Cardiology, TIN 841010102 (Front Range, Denver): MWEP and GLCH. */
  frontRangeCardiologist: '1900000401',

  /** Back Bay Imaging Associates, Boston MA: MRI (and CT, PET, ultrasound), in network NEBHP. */
  bostonMriFacility: '2900000011',
  /** Fenway Open MRI, Boston MA: MRI only, OUT of network NEBHP. */
  bostonOutOfNetworkMriFacility: '2900000029',
  /** Charles River Physical Therapy, Cambridge MA: PT, OT, speech, in network NEBHP. */
  massachusettsRehabFacility: '2900000052',
  /** Riverbend Rehab & Speech, Cincinnati OH: PT, OT, speech, in network GLCH (REHAB from 2027). */
  ohioRehabFacility: '2900000250',
  /** East Valley Open MRI, Mesa AZ: in network MWEP, OUT of network SBMP. */
  arizonaSplitNetworkMriFacility: '2900000581',
};
