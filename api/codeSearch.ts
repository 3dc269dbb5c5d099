import type { PrismaClient } from '../common/db';
import type { Logger } from '../common/logger';
import { buildCodeIndex, type CodeHit, type CodeIndex, type CodeSearch, type IndexedCodeRow } from '../domain/codeIndex';

export type { CodeHit, CodeSearch };

/**
 * The API's code search: the code set in memory (domain/codeIndex.ts), built on the first search
 * and built again when a code file was loaded since (the DataLoad rows the loader writes), so
 * a new release is searched from the next query on. Checking costs one small query per search.
 */
export function codeSearcher(prisma: PrismaClient, log?: Logger) {
  let built: { version: string; index: CodeIndex } | undefined;
  let building: Promise<{ version: string; index: CodeIndex }> | undefined;

  const versionNow = async () => {
    const [v] = await prisma.$queryRawUnsafe<{ n: number; at: Date | null }[]>('SELECT count(*)::int AS "n", max("loadedAt") AS "at" FROM "DataLoad"');
    return `${v?.n ?? 0}/${v?.at?.toISOString() ?? '-'}`;
  };
  const build = async (version: string) => {
    const started = Date.now();
    const rows = await prisma.$queryRawUnsafe<IndexedCodeRow[]>(
      `SELECT "system", "code", "display", "description", "billable", "program", "procedureGroup", "modality", "unit", "searchText", "searchWords" FROM "Code"`,
    );
    const index = buildCodeIndex(rows);
    log?.info({ codes: index.size, ms: Date.now() - started, version }, 'code search index built');
    return { version, index };
  };

  return {
    async search(s: CodeSearch): Promise<CodeHit[]> {
      const version = await versionNow();
      if (built?.version !== version) {
        building ??= build(version).finally(() => (building = undefined));
        built = await building;
      }
      return built.index.search(s);
    },
  };
}
