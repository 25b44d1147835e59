-- Announce, at commit, that the tools changed: every API process LISTENs on sotally_tools and
-- forgets the pages of the public tool list it remembered (src/tools/list-cache.ts). One
-- announcement per statement, whatever it changed, and Postgres folds identical announcements of
-- one transaction into one. (The body is an escape string with \073 for each semicolon, as in the
-- credential announcements.)
CREATE FUNCTION "announce_tools_change"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN PERFORM pg_notify(''sotally_tools'', '''')\073 RETURN NULL\073 END'
;

CREATE TRIGGER tools_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tools
  FOR EACH STATEMENT EXECUTE FUNCTION announce_tools_change();
