/**
 * A case as the API answers it (the case workflow's view: workflows/case.ts), for the pages of
 * offices and reviewers alike.
 */
export interface Order {
  number: string;
  sequence: number;
  status: 'ACTIVE' | 'EXPIRED' | 'SUPERSEDED' | 'CANCELLED';
  issuedAt: string;
  expiresAt: string;
}

export interface CaseExam {
  index: number;
  procedureCode: string;
  procedureDescription: string;
  modality: string | null;
  requestedUnits?: number;
  approvedUnits?: number;
  servicingProviderNpi?: string;
  servicingProviderName?: string;
  outcome: 'MET' | 'NOT_MET' | 'NEEDS_REVIEW';
  reasons: string[];
  ruleIds: string[];
  guideline?: { id: string; version: number };
  status: string;
  decisionCode: string;
  decisionReasons: string[];
  decidedBy?: string;
  decidedAt?: string;
  guidelineReference?: string;
  orders: Order[];
}

export type Stage = 'NURSE' | 'PHYSICIAN' | 'OFFICE_INFO' | 'PEER_TO_PEER_WINDOWS' | 'PEER_TO_PEER_CALL' | 'DONE';

export interface CaseView {
  caseNumber: string;
  status: 'PENDED' | 'DECIDED' | 'CLOSED';
  stage: Stage;
  waitingOn: 'OFFICE' | 'NURSE' | 'PHYSICIAN' | 'PEER_TO_PEER' | 'NOBODY';
  submittedAt: string;
  dueAt: string;
  warnedAt?: string;
  breachedAt?: string;
  decidedAt?: string;
  exams: CaseExam[];
  additionalInformation: { at: string; text: string }[];
  infoRequest?: { message: string; requestedAt: string; dueAt: string; answeredAt?: string; timedOutAt?: string };
  peerToPeer?: { offeredAt: string; windows?: { start: string; end: string }[]; outcome?: 'OVERTURNED' | 'UPHELD' | 'NOT_REACHED' };
  events: { seq: number; at: string; examIndex?: number; actor: string; type: string; summary: string }[];
}

/** The order of an exam that is in force now, if any. */
export const activeOrder = (e: Pick<CaseExam, 'orders'>) => e.orders.find((o) => o.status === 'ACTIVE');
