"""Project files: SQLite document, numbered migrations and a content-addressed media store."""
