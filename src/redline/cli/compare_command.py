"""The compare command: interventions on common random numbers."""
