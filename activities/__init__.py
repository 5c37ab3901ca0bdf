"""Activities: every side effect of a workflow (database, notifications, rules with data).

Each is idempotent: a retry after a crash writes nothing twice."""
