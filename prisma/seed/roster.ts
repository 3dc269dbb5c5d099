/**
 * Fictitious reference data: health plans and the TIN roster (TIN -> organization -> plans).
 * Every name, address and number here is made up. Extended by later reference-data work.
 */
export const healthPlans = [
  { id: 'NEBHP', name: 'Northeast Blue Health Plan' },
  { id: 'GLCH', name: 'Great Lakes Community Health' },
  { id: 'SBMP', name: 'Sunbelt Medicaid Partners' },
  { id: 'PCSA', name: 'Pacific Coast Senior Advantage' },
  { id: 'MWEP', name: 'Mountain West Employers Plan' },
];

export const organizations = [
  {
    id: '6c0f3f4e-1b1a-4f0e-9a51-000000000001',
    name: 'Harborview Family Medicine, P.C.',
    line1: '120 Harbor Street', line2: 'Suite 300', city: 'Boston', state: 'MA', zip: '02110',
    tins: [{ tin: '041234567', plans: ['NEBHP', 'GLCH'] }, { tin: '041234568', plans: ['NEBHP'] }],
  },
  {
    id: '6c0f3f4e-1b1a-4f0e-9a51-000000000002',
    name: 'Lakeshore Imaging Center LLC',
    line1: '4400 Lakeshore Drive', line2: null, city: 'Chicago', state: 'IL', zip: '60611',
    tins: [{ tin: '361112222', plans: ['GLCH', 'MWEP'] }],
  },
  {
    id: '6c0f3f4e-1b1a-4f0e-9a51-000000000003',
    name: 'Desert Sun Orthopedics',
    line1: '9 Camelback Road', line2: null, city: 'Phoenix', state: 'AZ', zip: '85016',
    tins: [{ tin: '861234500', plans: ['SBMP', 'PCSA', 'MWEP'] }, { tin: '861234501', plans: ['SBMP'] }],
  },
  {
    id: '6c0f3f4e-1b1a-4f0e-9a51-000000000004',
    name: 'Bayside Rehabilitation Partners, Inc.',
    line1: '77 Embarcadero', line2: 'Floor 2', city: 'San Francisco', state: 'CA', zip: '94105',
    tins: [{ tin: '943330001', plans: ['PCSA'] }],
  },
  {
    id: '6c0f3f4e-1b1a-4f0e-9a51-000000000005',
    name: 'Piedmont Neurology Associates',
    line1: '250 Peachtree Center Ave', line2: null, city: 'Atlanta', state: 'GA', zip: '30303',
    tins: [{ tin: '582224444', plans: ['SBMP', 'NEBHP'] }],
  },
  {
    id: '6c0f3f4e-1b1a-4f0e-9a51-000000000006',
    name: 'Front Range Cardiology Group',
    line1: '1600 Broadway', line2: 'Suite 900', city: 'Denver', state: 'CO', zip: '80202',
    tins: [{ tin: '841010101', plans: ['MWEP'] }, { tin: '841010102', plans: ['MWEP', 'GLCH'] }],
  },
];
