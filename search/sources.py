"""What search is told about the documents it indexes: the domain registers its document source at app start.

Search knows documents, not homes. The package that owns the documents (marketplace, for care homes) calls
`register(app, ...)` from its init_app with: the table holding one row per document (an `id` and a `version`
column: the version is bumped on every change search shows), the models whose writes change a document
(each with the attribute that holds the document id), and functions that build documents from SQL.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, has_app_context

from core.extensions import db

_KEY = "search.source"


@dataclass(frozen=True)
class DocumentSource:
    """The domain's side of the index: which table, which watched models, how documents are built."""

    table: sa.Table  # one row per document; columns `id` and `version`
    documents_for: Callable  # (ids) -> {id: document}, for the ids that exist
    iter_all_documents: Callable  # (batch_size=..., workers=...) -> every document, in id order
    due_ids: Callable = lambda on, days_back: set()  # (date, days) -> ids whose document changes with the date
    watched: dict = field(default_factory=dict)  # {mapped class: name of the attribute holding the document id}


def register(app, table, documents_for, iter_all_documents, watch, due_ids=None):
    """Tell search, for APP, where its documents come from and which models' writes change them."""
    extra = {"due_ids": due_ids} if due_ids else {}
    app.extensions[_KEY] = DocumentSource(table=table, documents_for=documents_for,
                                          iter_all_documents=iter_all_documents, watched=dict(watch), **extra)


def current_source():
    """Return the registered DocumentSource of the current app (or None when no domain registered one)."""
    return current_app.extensions.get(_KEY) if has_app_context() else None


def document_id_attribute(cls):
    """Return the name of the attribute of mapped class CLS that holds a document id, or None if unwatched."""
    source = current_source()
    return source.watched.get(cls) if source else None


def sql_versions():
    """Return {document id: version} straight from SQL (what `flask search check` compares against)."""
    table = current_source().table
    return dict(db.session.execute(sa.select(table.c.id, table.c.version)).all())


def documents_for(ids):
    """Return {id: document} for the documents that exist among IDS."""
    return current_source().documents_for(ids)


def iter_all_documents(**options):
    """Yield every document, in id order (options: batch_size, workers)."""
    return current_source().iter_all_documents(**options)
