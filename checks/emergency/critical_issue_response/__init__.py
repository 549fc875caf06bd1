"""Emergency Procedures / Critical Issue Response: decided from the incident record (`golive incident`)."""
