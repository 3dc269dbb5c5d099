/**
 * Who does what. Provider office users act for their Tax IDs and health plans; reviewers
 * (nurses, physicians, supervisors) work the queues of the plans they are assigned; support
 * staff inspect and repair but never decide a case; administrators manage accounts.
 */
export const ACCESS_ROLES = ['PROVIDER', 'NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT', 'ADMIN'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** The roles of staff accounts, which an administrator creates (providers register themselves). */
export const STAFF_ROLES = ['NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT', 'ADMIN'] as const satisfies readonly AccessRole[];
export type StaffAccessRole = (typeof STAFF_ROLES)[number];

/** Staff who work only the health plans they are assigned (support and administrators serve every plan). */
export const PLAN_SCOPED_ROLES = ['NURSE', 'PHYSICIAN', 'SUPERVISOR'] as const satisfies readonly AccessRole[];
export type ReviewerRole = (typeof PLAN_SCOPED_ROLES)[number];

export const ACCESS_ROLE_LABELS: Record<AccessRole, string> = {
  PROVIDER: 'provider office user',
  NURSE: 'nurse reviewer',
  PHYSICIAN: 'physician reviewer',
  SUPERVISOR: 'clinical supervisor',
  SUPPORT: 'support staff',
  ADMIN: 'administrator',
};

export const isPlanScoped = (role: AccessRole): role is ReviewerRole => (PLAN_SCOPED_ROLES as readonly string[]).includes(role);
export const isStaff = (role: AccessRole): role is StaffAccessRole => role !== 'PROVIDER';

/** "a nurse reviewer or a physician reviewer": who an endpoint is for, in words. */
export function rolesInWords(roles: readonly AccessRole[]): string {
  const words = roles.map((r) => `${/^[aeiou]/.test(ACCESS_ROLE_LABELS[r]) ? 'an' : 'a'} ${ACCESS_ROLE_LABELS[r]}`);
  return words.length <= 1 ? (words[0] ?? 'nobody') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}
