import { createHmac, randomUUID } from 'node:crypto';
import { searchAttributes } from './searchAttributes';

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export function searchAttributeFlags(): string[] {
  const cliType = { KEYWORD: 'Keyword', DATETIME: 'Datetime' } as const;
  return Object.values(searchAttributes).map((k) => `${k.name}=${cliType[k.type]}`);
}

/** Workflow ids are opaque: a kind prefix and a random UUID or keyed hash, nothing about the person. */
export const workflowIds = {
  systemCheck: (id: string = randomUUID()) => `system-check-${id}`,
  /**
   * One open registration per email address: the id is a keyed hash of the normalized address,
   * so a second registration of the same address meets the first in Temporal's id policy,
   * while the id itself reveals nothing without the secret.
   */
  registration: (email: string, secret: string) =>
    `registration-${createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex').slice(0, 32)}`,
};

/** The kind of record a workflow id names, from its prefix (RecordType's values). */
export function recordTypeOf(workflowId: string): string {
  const prefixes: [string, string][] = [
    ['case-', 'CASE'],
    ['registration-', 'REGISTRATION'],
    ['password-reset-', 'PASSWORD_RESET'],
    ['identity-confirmation-', 'IDENTITY_CONFIRMATION'],
    ['mfa-email-code-', 'MFA_EMAIL_CODE'],
    ['system-check-', 'SYSTEM_CHECK'],
    ['mirror-audit-', 'MIRROR_AUDIT'],
  ];
  return prefixes.find(([p]) => workflowId.startsWith(p))?.[1] ?? 'OTHER';
}
