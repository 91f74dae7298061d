"""DCC anomaly detection: packet inspection and thresholds (SR-10..SR-12, TR-10)."""
