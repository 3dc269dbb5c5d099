import { h } from './dom';

/** Dates and states in the words an office reads. */
export const date = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' }) : '');
export const dateTime = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }) : '';

export const CASE_STATUS: Record<string, string> = {
  PENDED_NURSE: 'Waiting for clinical review',
  PENDED_PHYSICIAN: 'Waiting for physician review',
  PENDED_OFFICE_INFO: 'Waiting for your information',
  PENDED_PEER_TO_PEER_WINDOWS: 'Peer-to-peer offered: propose call windows',
  PENDED_PEER_TO_PEER_CALL: 'Peer-to-peer call to be held',
  PENDED: 'Waiting for review',
  DECIDED: 'Decided',
  CLOSED: 'Closed',
};

export const EXAM_STATUS: Record<string, string> = {
  PENDED: 'Pended for clinical review',
  APPROVED_AWAITING_PROVIDER: 'Approved: choose the servicing provider',
  APPROVED: 'Approved',
  DENIED: 'Denied',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
};

export const DECISION: Record<string, string> = {
  A1: 'A1 certified',
  A3: 'A3 not certified',
  A4: 'A4 pended',
  A6: 'A6 modified',
  C: 'C cancelled',
};

/** A status as a badge: colour is never the only signal (the words are there too). */
export function badge(text: string, tone: 'ok' | 'wait' | 'bad' | 'info' = 'info') {
  return h('span', { class: `badge badge-${tone}` }, text);
}

export const examTone = (status: string) => (status === 'APPROVED' ? 'ok' : status === 'DENIED' ? 'bad' : status === 'CANCELLED' || status === 'EXPIRED' ? 'info' : 'wait');
