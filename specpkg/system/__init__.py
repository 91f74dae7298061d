"""The end-to-end system: User, DCC, Communications Hub, meters and the flow."""
