"""Form helpers every HTML blueprint shares."""


def add_field_errors(form, fields):
    """Show a ServiceError's per-field messages (FIELDS: {name: [message, ...]}) next to FORM's fields."""
    for name, messages in (fields or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + list(messages)
