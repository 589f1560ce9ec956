"""The intake questionnaire: questions from rules/, the terminal flow, answers files and drafts."""
