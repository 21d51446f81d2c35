-- Tenancy: programs serve organizations; one account per person (hand-written; see src/db/schema).
select 1;
