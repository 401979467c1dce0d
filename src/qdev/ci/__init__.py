"""`qdev ci`: the CI pipeline written (or verified) from the repo's config and team profile."""
