"""Tests of redline.engine: the reference loop and the kernel, seeding, executors, memory."""
