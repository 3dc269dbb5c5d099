import { Client, Connection } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { members } from '../prisma/seed/reference';
import { http, office } from './actors';
import { startSystem } from './system';

/** Where one auto-approved submission's time goes: the case workflow's history, event by event. */
async function main() {
  const sys = await startSystem({ port: 3500, env: { SESSION_IDLE_TIMEOUT: '4h', ...(process.env.PROFILE_LOG_LEVEL ? { LOG_LEVEL: process.env.PROFILE_LOG_LEVEL } : {}) } });
  try {
    const call = http(sys.baseUrl);
    const o = await office(sys);
    const today = new Date().toISOString().slice(0, 10);
    const pool = members.filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo).map((m) => m.id);
    const noRedFlags = { cancerHistory: false, infectionRisk: false, caudaEquinaSigns: false, progressiveDeficit: false, fractureSuspected: false, priorLumbarSurgery: false };
    const MET = { ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: true, conservativeCareWeeks: 10, physicalTherapy: true };
    let last = '';
    for (let i = 0; i < 12; i++) {
      const d = await call('POST', '/api/drafts', { memberId: pool[i], orderingProviderNpi: '1900000013', urgency: 'STANDARD', dateOfService: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10), exams: [{ procedureCode: '72148', diagnosisCodes: ['M54.16'], answers: MET, servicingProviderNpi: '2900000011' }] }, o.auth);
      const t0 = Date.now();
      const r = await call('POST', `/api/drafts/${d.body.draftId}/submit`, {}, o.auth);
      console.log(`submit ${i}: ${Date.now() - t0} ms (${r.status})`);
      last = `case-${d.body.draftId}`;
    }
    const temporal = new Client({ connection: await Connection.connect({ address: sys.temporalAddress }) });
    await new Promise((r) => setTimeout(r, 2000));
    const h = await temporal.workflow.getHandle(last).fetchHistory();
    const first = optionalTsToDate(h.events![0]!.eventTime)!.getTime();
    let prev = first;
    for (const e of h.events!) {
      const t = optionalTsToDate(e.eventTime)!.getTime();
      const kind = Object.keys(e).find((k) => k.endsWith('EventAttributes'))!;
      const a = (e as Record<string, any>)[kind];
      console.log(`${String(t - first).padStart(5)} ms (+${String(t - prev).padStart(4)})  ${kind.replace('EventAttributes', '')} ${a?.activityType?.name ?? a?.acceptedRequest?.input?.name ?? ''}`);
      prev = t;
    }
    await temporal.connection.close();
  } finally {
    await sys.stop();
  }
}
main().catch((e) => (console.error(e), process.exit(1)));
