-- A department's board page in the board's order (name, then id) straight from one index: with only the
-- department indexed, a page of the largest department sorted or filtered thousands of rows (23 -> 8 ms for
-- 1,001 of 12,500 people among 100,000). This index also answers every lookup the old one did. The old one is
-- dropped first, so the migration takes the table's exclusive lock once instead of upgrading a share lock
-- (which could deadlock with a sync writing people); board reads wait the second the build takes.
DROP INDEX people_board_department_idx;
CREATE INDEX people_board_department_order_idx
    ON people (lower(COALESCE(mapped_department, department)), lower(display_name), id);
