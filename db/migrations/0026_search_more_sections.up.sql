-- 0026_search_more_sections: the global search's Reports, Cove accounts and Cloud
-- Connect accounts groups (issue 18) search each column with the search terms
-- (app/search/terms: every term ORed over the columns), so every searched column
-- gets its trigram index, as in 0023 (customers.name and jobs.job_name have theirs
-- since 0002).

-- Reports: the definition's name (its customers' names use customers_name_trgm_idx).
CREATE INDEX report_definitions_name_trgm_idx ON report_definitions USING gin (name gin_trgm_ops);

-- Cove accounts: device, computer and customer name, each its own column now; the
-- index on the three joined as one text (0018) is no longer used.
DROP INDEX IF EXISTS cove_accounts_search_trgm_idx;
CREATE INDEX cove_accounts_account_name_trgm_idx ON cove_accounts USING gin (account_name gin_trgm_ops);
CREATE INDEX cove_accounts_computer_name_trgm_idx ON cove_accounts USING gin (computer_name gin_trgm_ops);
CREATE INDEX cove_accounts_partner_name_trgm_idx ON cove_accounts USING gin (partner_name gin_trgm_ops);

-- Cloud Connect accounts: user, repo name and repository (job and customer names are
-- indexed on their tables).
CREATE INDEX cloud_connect_accounts_user_name_trgm_idx ON cloud_connect_accounts USING gin (user_name gin_trgm_ops);
CREATE INDEX cloud_connect_accounts_repo_name_trgm_idx ON cloud_connect_accounts USING gin (repo_name gin_trgm_ops);
CREATE INDEX cloud_connect_accounts_repository_trgm_idx ON cloud_connect_accounts USING gin (repository gin_trgm_ops);
