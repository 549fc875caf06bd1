"""Emergency Procedures: the Rollback Decision Matrix and the Critical Issue Response."""
