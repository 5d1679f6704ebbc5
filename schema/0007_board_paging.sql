-- The board is read in pages in one order (name, then id): keyset paging needs both in one index, so every
-- page of 100,000 people costs what the first one does.
CREATE INDEX people_board_order_idx ON people (lower(display_name), id);
DROP INDEX people_display_name_idx;
