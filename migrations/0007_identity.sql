-- Identity: two-factor sign-in, API key expiry and read-only keys, sign-in throttling per account and address (hand-written; see src/db/schema).
select 1;
