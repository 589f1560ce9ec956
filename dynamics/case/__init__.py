"""Case files: the model, the located YAML reader, the writer's dump, the JSON Schema and the instruments."""
