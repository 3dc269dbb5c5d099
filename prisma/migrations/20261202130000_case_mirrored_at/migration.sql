-- The last mirror write's workflow time, ordered before its count ("mirrorVersion"): a reset
-- workflow counts its writes again from an earlier point, but at a later time, and must still write.
ALTER TABLE "Case" ADD COLUMN "mirroredAt" TIMESTAMP(3);
