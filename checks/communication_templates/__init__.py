"""Communication Templates: each renders from a run with every placeholder filled."""
