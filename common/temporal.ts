import { randomUUID } from 'node:crypto';
import { searchAttributes } from './searchAttributes';

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export function searchAttributeFlags(): string[] {
  const cliType = { KEYWORD: 'Keyword', DATETIME: 'Datetime' } as const;
  return Object.values(searchAttributes).map((k) => `${k.name}=${cliType[k.type]}`);
}

/** Workflow ids are opaque: a kind prefix and a random UUID, nothing about the person. */
export const workflowIds = {
  systemCheck: (id: string = randomUUID()) => `system-check-${id}`,
};
