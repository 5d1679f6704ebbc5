-- The board is read in pages in one order (name, then id): keyset paging needs both in one index, so every
-- page of 100,000 people costs what the first one does.
CREATE INDEX people_board_order_idx ON people (lower(display_name), id);
DROP INDEX people_display_name_idx;
-- The department filter (the board page's most used one) without reading every person.
CREATE INDEX people_board_department_idx ON people (lower(COALESCE(mapped_department, department)));
