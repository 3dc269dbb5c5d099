import { fixtures } from '../../prisma/seed/reference';
import type { apiClient } from './http';

/** Answers to the lumbar spine MRI guideline with no red flag: meeting it, and not (no conservative care). */
const noRedFlags = { cancerHistory: false, infectionRisk: false, caudaEquinaSigns: false, progressiveDeficit: false, fractureSuspected: false, priorLumbarSurgery: false };
export const LUMBAR_MET = { ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: true, conservativeCareWeeks: 10, physicalTherapy: true };
export const LUMBAR_NOT_MET = { ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: false };

/**
 * An office's lumbar MRI request for `memberId`, drafted and submitted through the API (setting a
 * test up). An active order of a member joins later requests for the same procedure code (the
 * duplicate rule), and suites share the database: give each suite its own members or its own
 * code (72148, 72149 or 72158, all under the lumbar MRI guideline).
 */
export async function submitLumbarMri(
  api: ReturnType<typeof apiClient>,
  auth: Record<string, string>,
  o: { memberId: string; answers: object; urgency?: 'STANDARD' | 'URGENT'; procedureCode?: string; symptoms?: string },
): Promise<{ caseNumber: string; caseId: string; workflowId: string; body: any }> {
  const draft = await api.post(
    '/api/drafts',
    {
      memberId: o.memberId,
      orderingProviderNpi: fixtures.harborviewPhysician,
      urgency: o.urgency ?? 'STANDARD',
      dateOfService: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10),
      exams: [{ procedureCode: o.procedureCode ?? '72148', diagnosisCodes: ['M54.16'], ...(o.symptoms ? { symptoms: o.symptoms } : {}), answers: o.answers, servicingProviderNpi: fixtures.bostonMriFacility }],
    },
    auth,
  );
  if (draft.body.review?.problems?.length) throw new Error(`the request has problems: ${JSON.stringify(draft.body.review.problems)}`);
  const submitted = await api.post(`/api/drafts/${draft.body.draftId}/submit`, {}, auth);
  if (submitted.status !== 201) throw new Error(`submission answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
  return { caseNumber: submitted.body.caseNumber, caseId: submitted.body.caseId, workflowId: `case-${draft.body.draftId}`, body: submitted.body };
}
