"""Errors of the storage package."""


class StorageError(Exception):
    """The database or the blob store could not do what was asked; the message says why."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached or the URL is wrong."""
