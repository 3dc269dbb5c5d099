-- An order number, once issued, is the office's proof of authorization: it is never renumbered,
-- moved to another case or exam, re-dated or removed, whoever connects. Only its status changes
-- (active, expired, superseded, cancelled). A step that "replaces" a number on a retry fails
-- here instead of handing out a second one.
CREATE FUNCTION "order_number_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW."number" = OLD."number"
     AND NEW."caseId" = OLD."caseId"
     AND NEW."examIndex" = OLD."examIndex"
     AND NEW."sequence" = OLD."sequence"
     AND NEW."issuedAt" = OLD."issuedAt"
     AND NEW."expiresAt" = OLD."expiresAt" THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'OrderNumber % is issued: % may change only its status', OLD."number", TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "OrderNumber_immutable"
  BEFORE UPDATE OR DELETE ON "OrderNumber"
  FOR EACH ROW EXECUTE FUNCTION "order_number_immutable"();

CREATE FUNCTION "order_number_no_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'OrderNumber rows are never removed: TRUNCATE is not allowed' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "OrderNumber_no_truncate"
  BEFORE TRUNCATE ON "OrderNumber"
  FOR EACH STATEMENT EXECUTE FUNCTION "order_number_no_truncate"();
