"""qdev configuration: models (models.py), loading and layering (loader.py), schema."""
