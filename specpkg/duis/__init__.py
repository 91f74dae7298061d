"""DUIS: the Reset Debt Register Service Request, its checks and responses (SR-9, TR-5)."""
