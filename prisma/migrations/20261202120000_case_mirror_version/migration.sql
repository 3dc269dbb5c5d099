-- Each mirror write carries the workflow's count of writes; an older write that arrives late (an
-- attempt left running by a worker that lost the workflow, a retry that slept past a newer write)
-- must not put an older view back.
ALTER TABLE "Case" ADD COLUMN "mirrorVersion" INTEGER NOT NULL DEFAULT 0;
