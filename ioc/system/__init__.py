"""The machine: the embedded PostgreSQL cluster and the check of system prerequisites.

Standard library only: ``python3 -m ioc.system.doctor`` runs before the virtual environment exists.
"""
