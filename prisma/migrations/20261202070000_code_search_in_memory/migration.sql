-- Code search runs in the API's memory (domain/codeIndex.ts): the trigram and word indexes and
-- the word vocabulary it used in the database are no longer read. Dropping them makes a code
-- release load faster and smaller.
DROP INDEX IF EXISTS "Code_searchText_idx";
DROP INDEX IF EXISTS "Code_searchWords_idx";
DROP TABLE IF EXISTS "CodeWord";
