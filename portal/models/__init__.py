"""The two stores' tables: ``working`` (private, pseudonymous rows) and ``published``
(aggregate cells and release metadata only). Each has its own metadata and migrations."""
