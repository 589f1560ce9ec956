"""Inference: input facts, the rules compiled into experta, the run, the typed assessment and explain."""
