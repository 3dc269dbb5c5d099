/** The disclaimer every user accepts at sign-in; its version is recorded with the session. */
export const HIPAA_DISCLAIMER = {
  version: '2026-11-01',
  text:
    'This portal contains protected health information (PHI) under HIPAA. Use it only to request or ' +
    'review prior authorizations for patients you treat or serve, and only with the minimum information ' +
    'needed. Do not share your credentials. Access is logged and audited.',
} as const;
