-- A full sync re-resolves only the groups whose members changed: each group keeps a digest of the member values
-- its memberships were last resolved from, and whether memberships through nesting were last resolved for it
-- (a mapped group), so a change of the mappings alone is still resolved.
ALTER TABLE groups ADD COLUMN members_digest bytea, ADD COLUMN nesting_resolved boolean NOT NULL DEFAULT FALSE;
