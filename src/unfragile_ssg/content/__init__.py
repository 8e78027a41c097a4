"""Reading content files into entries, and the schema that says what an entry may hold."""
