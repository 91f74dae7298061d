"""GBCS wire formats: envelope, GBZ, xDLMS, signatures and MACs, use cases (SR-1, SR-2)."""
