-- 0610_search_indexes.sql: indexes for the group search's common filter-and-sort shapes, so a
-- page is read in order from an index instead of gathering every matching group and sorting it.
-- (They pay off with or without ANALYZE statistics, so also on a freshly loaded database.)

-- newly_formed=true (a small share of groups), sorted by name: walk the flag's groups in name order.
CREATE INDEX groups_newly_formed_name ON groups(newly_formed, name_key, id);

-- kind=…, sorted newest first: walk the kind's groups in creation order.
CREATE INDEX groups_kind_created ON groups(kind, created_at, id);
