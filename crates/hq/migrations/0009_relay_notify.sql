-- Several HQ processes share one database: each LISTENs, and the schema
-- itself notifies, so no path that stores an event or moves a stream
-- generation can forget to. Payloads are ids only, never content.

-- A new inbox row: its seq (sent at the webhook's commit). Journal ingest
-- never notifies.
CREATE FUNCTION easyqr_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('easyqr_inbox', NEW.seq::text);
    RETURN NULL;
END $$;

CREATE TRIGGER inbox_notify AFTER INSERT ON inbox
    FOR EACH ROW EXECUTE FUNCTION easyqr_inbox_notify();

-- A register's stream generation moved (a new stream, enrolment,
-- revocation): "<register row id>:<generation>", so every process ends
-- its older stream of that register at once.
CREATE FUNCTION easyqr_stream_gen_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('easyqr_streams', NEW.id::text || ':' || NEW.stream_gen::text);
    RETURN NULL;
END $$;

CREATE TRIGGER stream_gen_notify AFTER UPDATE OF stream_gen ON registers
    FOR EACH ROW WHEN (NEW.stream_gen IS DISTINCT FROM OLD.stream_gen)
    EXECUTE FUNCTION easyqr_stream_gen_notify();
