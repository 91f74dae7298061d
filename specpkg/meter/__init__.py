"""The meter model: Debt Registers, hour-by-hour and fleet simulation (BR-1..BR-5)."""
