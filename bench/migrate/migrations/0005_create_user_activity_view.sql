-- migrate:up
CREATE VIEW user_activity AS
SELECT u.id,
       coalesce(u.display_name, u.username) AS shown_name,
       count(DISTINCT p.id) AS posts,
       count(DISTINCT c.id) AS comments
FROM users u
LEFT JOIN posts p ON p.author_id = u.id
LEFT JOIN comments c ON c.author_id = u.id
GROUP BY u.id;

-- migrate:down
DROP VIEW user_activity;
