"""Storage: SQLAlchemy 2.0 models, the unit of work, repositories and Alembic migrations."""
