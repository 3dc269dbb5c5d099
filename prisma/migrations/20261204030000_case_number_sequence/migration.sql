-- Case numbers were ten digits of a hash of the draft id: by the birthday bound two of 40,000
-- cases share one with a chance of about 8%, and the second case could not be written. Each
-- submission now takes the next value of this sequence (domain/orders.ts turns it into the
-- number); NO CYCLE, so a value is never given twice.
CREATE SEQUENCE "case_number_seq" AS bigint MINVALUE 1 MAXVALUE 9999999999 NO CYCLE;
