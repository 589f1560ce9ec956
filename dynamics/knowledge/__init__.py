"""The knowledge base in rules/: its files, the behaviour vocabulary, the rule language, lint and reference."""
