"""The foundation: code every Kontor app may use and that imports no Kontor app.

It holds the task queue (``core.tasks``), the one domain-event bus (``core.events``), the migration SQL helper
(``core.migration_sql``), money rounding (``core.money``), the VAT rules (``core.vat``) with the country lists
(``core.countries``). The layer order and the rule for adding an app are in docs/architecture.md; the import
contract in ``.importlinter`` enforces them.
"""
