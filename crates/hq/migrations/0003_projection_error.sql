-- A journal row this HQ build cannot read (a kind from a newer register):
-- the copy is kept and acknowledged, the projection waits at the row before
-- it, and the view says so until an upgraded HQ projects the rest.
ALTER TABLE registers ADD COLUMN projection_error text;
