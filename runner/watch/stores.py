"""The watcher's store, opened again after the database went away.

A SQLite file moved or deleted under a reader goes on being read from its
old inode, unchanged for ever, with no error: so before each poll the path
is checked, a missing file is an error ("gone") and a different file is
opened afresh. A server that stops answering raises StorageError from the
query; the store is then dropped and opened again on the next poll.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

from runner.errors import StorageError
from runner.store import Store, open_store, resolve_url
from runner.store.db import file_identity, sqlite_path, to_url

__all__ = ["Reopening"]


class Reopening:
    """``get()`` the store, checked or opened again; ``drop()`` it after an error."""

    def __init__(self, store: Store, url: str | None):
        self.url = store.url
        self._given = url
        self._store: Store | None = store
        self._path = sqlite_path(make_url(to_url(resolve_url(url))))
        self._identity = file_identity(self._path) if self._path else None

    def get(self) -> Store:
        if self._path is not None:
            identity = file_identity(self._path)
            if identity is None:
                self.drop()
                raise StorageError(f"the database file {self._path} is gone; put it back, and the page goes on")
            if identity != self._identity:
                self.drop()  # another file at that path: read it afresh
                self._identity = identity
        if self._store is None:
            self._store = open_store(self._given, create=False)
        return self._store

    def drop(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            try:
                store.close()
            except Exception:  # a broken connection; nothing of it is needed
                pass

    def close(self) -> None:
        self.drop()
