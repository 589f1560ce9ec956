"""What the assessment becomes: text, JSON and Markdown, the session report, the trend chart, batch rows."""
