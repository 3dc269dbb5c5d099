import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes are how support staff find work (`temporal workflow list --query ...`).
 * They are stored unencrypted: never put names, birth dates, member ids or emails in them.
 * Workflow code imports this module, so it stays free of Node APIs.
 */
export const searchAttributes = {
  RecordType: defineSearchAttributeKey('RecordType', SearchAttributeType.KEYWORD),
  RecordStatus: defineSearchAttributeKey('RecordStatus', SearchAttributeType.KEYWORD),
  WaitingOn: defineSearchAttributeKey('WaitingOn', SearchAttributeType.KEYWORD),
  DueAt: defineSearchAttributeKey('DueAt', SearchAttributeType.DATETIME),
  /** When RecordStatus last changed: "how long in this state" is a visibility query. */
  StatusSince: defineSearchAttributeKey('StatusSince', SearchAttributeType.DATETIME),
  Program: defineSearchAttributeKey('Program', SearchAttributeType.KEYWORD),
  HealthPlan: defineSearchAttributeKey('HealthPlan', SearchAttributeType.KEYWORD),
  Urgency: defineSearchAttributeKey('Urgency', SearchAttributeType.KEYWORD),
} as const;
