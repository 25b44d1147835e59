-- Announce, at commit, the user whose credentials changed: every API process LISTENs on
-- sotally_credentials and forgets what it remembered of that user (src/api/credential-cache.ts).
-- The argument names the row's user column. A user's deletion cascades to their tokens and
-- sessions, whose triggers announce it too.
-- (The body is an escape string with \073 for each semicolon, as in the credits migration.)
CREATE FUNCTION "announce_credential_change"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN PERFORM pg_notify(''sotally_credentials'', to_jsonb(OLD) ->> TG_ARGV[0])\073 RETURN NULL\073 END'
;

-- A token's last use (written at most once a minute per token) changes nothing authentication decides.
CREATE TRIGGER api_tokens_announce_update AFTER UPDATE ON api_tokens
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
  EXECUTE FUNCTION announce_credential_change('user_id');
CREATE TRIGGER api_tokens_announce_delete AFTER DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION announce_credential_change('user_id');
CREATE TRIGGER sessions_announce AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION announce_credential_change('user_id');
CREATE TRIGGER users_roles_announce AFTER UPDATE OF roles OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION announce_credential_change('id');
