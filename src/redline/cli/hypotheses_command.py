"""The hypotheses command: posterior over explanations and the ACH matrix."""
