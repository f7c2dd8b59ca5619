-- migrate:up
ALTER TABLE users ADD COLUMN display_name text;
COMMENT ON COLUMN users.display_name IS 'shown instead of the username when set';

-- migrate:down
ALTER TABLE users DROP COLUMN display_name;
